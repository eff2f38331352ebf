package proxmox

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Terminal runs cmd in the node's login shell through the API's own
// terminal (POST termproxy, then the vncwebsocket), as the web console does:
// the command channel of hosts without SSH. The client must hold a root@pam
// ticket. The terminal interleaves stdout and stderr; the exit status comes
// from a marker echoed after the command.
func (c *Client) Terminal(ctx context.Context, cmd string) (output string, exit int, err error) {
	if c.ticket == "" {
		return "", -1, notRun(fmt.Errorf("the node terminal of %s needs a root@pam ticket", c.ep.Node))
	}
	ws, closeFn, err := c.openTerminal(ctx)
	if err != nil {
		return "", -1, notRun(err)
	}
	defer closeFn()
	nonce := make([]byte, 6)
	_, _ = rand.Read(nonce)
	mark := "__tripod_" + hex.EncodeToString(nonce)
	line := fmt.Sprintf("echo %s_begin; %s; echo %s_end=$?\r", mark, cmd, mark)
	if err := ws.send([]byte("1:400:50:")); err != nil { // wide: the echoed line should not wrap
		return "", -1, notRun(err)
	}
	if err := ws.send([]byte(fmt.Sprintf("0:%d:%s", len(line), line))); err != nil {
		return "", -1, fmt.Errorf("failed to send the command to the terminal of %s: %w", c.ep.Node, err)
	}
	out, exit, err := readMarked(ws, mark)
	if err != nil {
		return out, -1, fmt.Errorf("the terminal of %s: %w", c.ep.Node, err)
	}
	_ = ws.send([]byte("0:6:exit\r\n"))
	return out, exit, nil
}

// openTerminal starts a termproxy worker and connects to it: the upgrade
// carries the ticket cookie, the first message the VNC ticket, and the
// terminal answers OK.
func (c *Client) openTerminal(ctx context.Context) (*wsConn, func(), error) {
	path := "/nodes/" + c.ep.Node + "/termproxy"
	data, err := c.Post(ctx, path, nil)
	if err != nil {
		return nil, nil, err
	}
	m, _ := data.(map[string]any)
	user, _ := m["user"].(string)
	vnc, _ := m["ticket"].(string)
	port := fmt.Sprint(m["port"])
	if f, ok := m["port"].(float64); ok {
		port = strconv.Itoa(int(f))
	}
	if user == "" || vnc == "" {
		return nil, nil, &APIError{Node: c.ep.Node, Method: http.MethodPost, Path: path, Message: "the answer carries no terminal ticket"}
	}
	conn, err := c.dialTLS(ctx)
	if err != nil {
		return nil, nil, err
	}
	// The upgrade and the ticket exchange get an attempt's time: an answer
	// that never comes (a hang, a lost answer) must not hold the command.
	attempt := c.cfg.Timing.Attempt(30 * time.Second)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	closeFn := func() { stop(); _ = conn.Close() }
	q := url.Values{"port": {port}, "vncticket": {vnc}}
	wsPath := "/api2/json/nodes/" + c.ep.Node + "/vncwebsocket?" + q.Encode()
	upCtx, cancel := context.WithTimeout(ctx, attempt)
	ws, err := wsUpgrade(upCtx, conn, c.ep.APIAddress(), wsPath, http.Header{"Cookie": {"PVEAuthCookie=" + url.QueryEscape(c.ticket)}})
	cancel()
	if err != nil {
		closeFn()
		return nil, nil, wrap(c.ep.Node, http.MethodGet, "/nodes/"+c.ep.Node+"/vncwebsocket", err)
	}
	// The library clears the connection's deadline after its handshake.
	_ = conn.SetDeadline(time.Now().Add(attempt))
	if err := ws.send([]byte(user + ":" + vnc + "\n")); err != nil {
		closeFn()
		return nil, nil, err
	}
	first, err := ws.recv()
	if err != nil || !bytes.HasPrefix(first, []byte("OK")) {
		closeFn()
		if err != nil {
			return nil, nil, fmt.Errorf("the terminal of %s did not answer its ticket: %w", c.ep.Node, err)
		}
		return nil, nil, fmt.Errorf("the terminal of %s refused its ticket", c.ep.Node)
	}
	_ = conn.SetDeadline(time.Time{})
	if ctx.Err() != nil { // the AfterFunc may have run just before
		_ = conn.SetDeadline(time.Now())
	}
	return ws, closeFn, nil
}

func (c *Client) dialTLS(ctx context.Context) (net.Conn, error) {
	raw, err := c.cfg.Dialer.DialContext(ctx, "tcp", c.ep.APIAddress())
	if err != nil {
		return nil, fmt.Errorf("failed to reach the Proxmox API of %s at %s: %w", c.ep.Node, c.ep.APIAddress(), err)
	}
	tc := tls.Client(raw, c.tls.Clone())
	if err := tc.HandshakeContext(ctx); err != nil {
		raw.Close()
		var pin *PinMismatchError
		if errors.As(err, &pin) {
			return nil, pin
		}
		return nil, fmt.Errorf("failed the TLS handshake with %s: %w", c.ep.Node, err)
	}
	return tc, nil
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()][0-9A-B]`)

// messages is where readMarked reads the terminal's output from.
type messages interface{ recv() ([]byte, error) }

// readMarked collects terminal output until the end marker's line, and
// returns what came between the begin and end markers' lines.
func readMarked(ws messages, mark string) (string, int, error) {
	endRe := regexp.MustCompile("^" + mark + `_end=(\d+)$`)
	var pending string
	var out strings.Builder
	inside := false
	for {
		msg, err := ws.recv()
		if err != nil {
			return out.String(), -1, fmt.Errorf("the session ended before the command did: %w", err)
		}
		pending += string(msg)
		for {
			i := strings.Index(pending, "\n")
			if i < 0 {
				break
			}
			line := strings.TrimRight(ansi.ReplaceAllString(pending[:i], ""), "\r")
			line = strings.TrimLeft(line, "\r")
			pending = pending[i+1:]
			switch {
			case line == mark+"_begin":
				inside = true
			case endRe.MatchString(line):
				rc, _ := strconv.Atoi(endRe.FindStringSubmatch(line)[1])
				return out.String(), rc, nil
			case inside:
				out.WriteString(line + "\n")
			}
		}
	}
}
