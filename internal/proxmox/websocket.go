package proxmox

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// The client side of RFC 6455, as much as the node terminal needs: one
// upgrade, masked binary frames out, unfragmented or fragmented frames in,
// pings answered, a close frame ends the stream. No extensions.

const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

const (
	wsBinary = 2
	wsClose  = 8
	wsPing   = 9
	wsPong   = 10
	wsMaxIn  = 16 << 20 // the largest message the terminal is expected to send
)

type wsConn struct {
	conn net.Conn
	r    *bufio.Reader
}

// wsUpgrade sends the upgrade request for path (with query) on conn and
// checks the answer: 101, the accept key, the binary subprotocol.
func wsUpgrade(conn net.Conn, host, path string, header http.Header) (*wsConn, error) {
	key := make([]byte, 16)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	k := base64.StdEncoding.EncodeToString(key)
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n", path, host)
	fmt.Fprintf(&b, "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: binary\r\n", k)
	for name, vals := range header {
		for _, v := range vals {
			fmt.Fprintf(&b, "%s: %s\r\n", name, v)
		}
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		return nil, err
	}
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, &http.Request{Method: http.MethodGet, URL: &url.URL{Path: path}})
	if err != nil {
		return nil, fmt.Errorf("websocket upgrade: %w", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
		// The query carries the terminal's ticket: never part of an error.
		bare, _, _ := strings.Cut(path, "?")
		return nil, &APIError{Method: http.MethodGet, Path: bare, Status: resp.StatusCode, Message: wsMessage(resp.Status, msg)}
	}
	sum := sha1.Sum([]byte(k + wsGUID))
	if resp.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]) {
		return nil, errors.New("websocket upgrade: wrong Sec-WebSocket-Accept")
	}
	if p := resp.Header.Get("Sec-WebSocket-Protocol"); p != "binary" {
		return nil, fmt.Errorf("websocket upgrade: server chose subprotocol %q, not binary", p)
	}
	return &wsConn{conn: conn, r: r}, nil
}

// wsMessage is PVE's reason phrase (its error message), else the body.
func wsMessage(status string, body []byte) string {
	if _, reason, ok := strings.Cut(status, " "); ok && reason != "" {
		return reason
	}
	return strings.TrimSpace(string(body))
}

// send writes one masked binary frame.
func (c *wsConn) send(payload []byte) error {
	hdr := []byte{0x80 | wsBinary}
	switch n := len(payload); {
	case n <= 125:
		hdr = append(hdr, 0x80|byte(n))
	case n <= 0xffff:
		hdr = append(hdr, 0x80|126, byte(n>>8), byte(n))
	default:
		hdr = append(hdr, 0x80|127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	var mask [4]byte
	if _, err := rand.Read(mask[:]); err != nil {
		return err
	}
	hdr = append(hdr, mask[:]...)
	out := make([]byte, len(payload))
	for i, x := range payload {
		out[i] = x ^ mask[i%4]
	}
	_, err := c.conn.Write(append(hdr, out...))
	return err
}

// recv returns the next data message, answering pings; io.EOF at a close.
func (c *wsConn) recv() ([]byte, error) {
	var msg []byte
	for {
		fin, op, payload, err := c.frame()
		if err != nil {
			return nil, err
		}
		switch op {
		case wsPing:
			if err := c.control(wsPong, payload); err != nil {
				return nil, err
			}
			continue
		case wsPong:
			continue
		case wsClose:
			_ = c.control(wsClose, nil)
			return nil, io.EOF
		}
		msg = append(msg, payload...)
		if len(msg) > wsMaxIn {
			return nil, fmt.Errorf("websocket message over %d bytes", wsMaxIn)
		}
		if fin {
			return msg, nil
		}
	}
}

func (c *wsConn) frame() (fin bool, op byte, payload []byte, err error) {
	var hdr [2]byte
	if _, err = io.ReadFull(c.r, hdr[:]); err != nil {
		return false, 0, nil, err
	}
	n := uint64(hdr[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		_, err = io.ReadFull(c.r, b[:])
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		_, err = io.ReadFull(c.r, b[:])
		n = binary.BigEndian.Uint64(b[:])
	}
	if err != nil {
		return false, 0, nil, err
	}
	if n > wsMaxIn {
		return false, 0, nil, fmt.Errorf("websocket frame of %d bytes", n)
	}
	var mask [4]byte
	masked := hdr[1]&0x80 != 0
	if masked {
		if _, err = io.ReadFull(c.r, mask[:]); err != nil {
			return false, 0, nil, err
		}
	}
	payload = make([]byte, n)
	if _, err = io.ReadFull(c.r, payload); err != nil {
		return false, 0, nil, err
	}
	if masked {
		for i := range payload {
			payload[i] ^= mask[i%4]
		}
	}
	return hdr[0]&0x80 != 0, hdr[0] & 0x0f, payload, nil
}

// control writes a masked control frame (pong, close).
func (c *wsConn) control(op byte, payload []byte) error {
	var mask [4]byte
	if _, err := rand.Read(mask[:]); err != nil {
		return err
	}
	out := []byte{0x80 | op, 0x80 | byte(len(payload))}
	out = append(out, mask[:]...)
	for i, x := range payload {
		out = append(out, x^mask[i%4])
	}
	_, err := c.conn.Write(out)
	return err
}
