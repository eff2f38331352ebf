package proxmox

import (
	"bufio"
	"net"
	"testing"
)

// frame is one unmasked server frame.
func frame(fin bool, op byte, payload string) []byte {
	b := op
	if fin {
		b |= 0x80
	}
	return append([]byte{b, byte(len(payload))}, payload...)
}

// The terminal's output is found between the markers' own lines, whatever
// the shell echoes, escapes or however the server cuts it into frames.
func TestReadMarkedOutput(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	defer server.Close()
	go func() {
		for _, f := range [][]byte{
			frame(true, wsBinary, "\x1b[?2004hroot@h:~# echo __m_begin; ceph -s; echo __m_end=$?\r\n"),
			frame(false, wsBinary, "__m_begin\r\n\x1b[1mhealth\x1b[0m: HEALTH_OK\r\nli"),
			frame(true, wsPing, "hi"),
			frame(true, 0 /* continuation */, "ne two\r\n__m_end=3\r\nroot@h:~# "),
		} {
			if _, err := server.Write(f); err != nil {
				return
			}
		}
	}()
	go func() { // swallow the client's pong
		buf := make([]byte, 64)
		_, _ = server.Read(buf)
	}()
	out, exit, err := readMarked(&wsConn{conn: client, r: bufio.NewReader(client)}, "__m")
	if err != nil || exit != 3 || out != "health: HEALTH_OK\nline two\n" {
		t.Fatalf("readMarked = %q exit %d, %v", out, exit, err)
	}
}
