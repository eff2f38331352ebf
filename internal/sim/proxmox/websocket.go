package proxmox

import (
	"net/http"
	"strings"

	"github.com/gorilla/websocket"
)

// The websocket side of pveproxy's vncwebsocket, through gorilla/websocket:
// the subprotocol chosen as pveproxy chooses it, 128 KiB messages at most,
// pings answered, a close ends the session. (pveproxy also refuses
// fragmented frames; the library reassembles them instead, so that rule is
// held on the client side: tripod's terminal sends every message whole.)

// wsMaxLen is the largest message pveproxy's websocket proxy takes.
const wsMaxLen = 128 << 10

// wsProtocol picks the subprotocol as pveproxy does: binary over base64.
func wsProtocol(header string) string {
	proto := ""
	for _, p := range strings.Split(header, ",") {
		switch strings.TrimSpace(p) {
		case "binary":
			proto = "binary"
		case "base64":
			if proto == "" {
				proto = "base64"
			}
		}
	}
	return proto
}

// upgrade answers the websocket handshake on the real connection with the
// chosen subprotocol; the writer then leaves the connection alone.
func (p *pveWriter) upgrade(r *http.Request, proto string) (*websocket.Conn, error) {
	up := websocket.Upgrader{
		Subprotocols: []string{proto},
		// pveproxy checks the ticket cookie and the VNC ticket, not the
		// origin: a CLI has none.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	ws, err := up.Upgrade(p.rw, r, nil)
	if err == nil {
		p.hijacked = true
	}
	return ws, err
}
