package proxmox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/gorilla/websocket"
)

// The node terminal's websocket, through gorilla/websocket: one upgrade on a
// connection the caller has already dialled and verified (the one dialer,
// the pinned TLS), binary messages both ways.

const (
	// wsMaxIn is the largest message the terminal is expected to send.
	wsMaxIn = 16 << 20
	// wsMaxOut is the largest message tripod sends. pveproxy refuses
	// fragmented frames ("received fragmented websocket frame"), and the
	// library fragments a message larger than its write buffer, so the
	// buffer holds the largest message whole.
	wsMaxOut = 64 << 10
)

type wsConn struct{ c *websocket.Conn }

// wsUpgrade sends the upgrade request for path (with query) on conn and
// checks the answer: 101 and the binary subprotocol.
func wsUpgrade(ctx context.Context, conn net.Conn, host, path string, header http.Header) (*wsConn, error) {
	d := websocket.Dialer{
		// conn is already TLS: the ws:// scheme keeps the library from
		// wrapping it again, and every byte still goes over the pinned link.
		NetDialContext:  func(context.Context, string, string) (net.Conn, error) { return conn, nil },
		Subprotocols:    []string{"binary"},
		WriteBufferSize: wsMaxOut,
	}
	c, resp, err := d.DialContext(ctx, "ws://"+host+path, header)
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
			resp.Body.Close()
			// The query carries the terminal's ticket: never part of an error.
			bare, _, _ := strings.Cut(path, "?")
			return nil, &APIError{Method: http.MethodGet, Path: bare, Status: resp.StatusCode, Message: wsMessage(resp.Status, msg)}
		}
		return nil, fmt.Errorf("websocket upgrade: %w", err)
	}
	if p := c.Subprotocol(); p != "binary" {
		c.Close()
		return nil, fmt.Errorf("websocket upgrade: server chose subprotocol %q, not binary", p)
	}
	c.SetReadLimit(wsMaxIn)
	return &wsConn{c: c}, nil
}

// wsMessage is PVE's reason phrase (its error message), else the body.
func wsMessage(status string, body []byte) string {
	if _, reason, ok := strings.Cut(status, " "); ok && reason != "" {
		return reason
	}
	return strings.TrimSpace(string(body))
}

// send writes one binary message, in one frame.
func (c *wsConn) send(payload []byte) error {
	if len(payload) > wsMaxOut {
		return fmt.Errorf("a terminal message of %d bytes is over the %d bytes pveproxy takes in one frame", len(payload), wsMaxOut)
	}
	return c.c.WriteMessage(websocket.BinaryMessage, payload)
}

// recv returns the next data message (the library answers pings); io.EOF
// at a close.
func (c *wsConn) recv() ([]byte, error) {
	_, msg, err := c.c.ReadMessage()
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return nil, io.EOF
	}
	return msg, err
}
