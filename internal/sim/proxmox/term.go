package proxmox

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// termSession is one termproxy worker waiting for (or serving) its client.
type termSession struct {
	Port      int
	Ticket    string
	User      string
	Cmd       string
	Opts      []string
	Task      *task
	Connected bool
}

// streamer is a handler result that takes over the connection once the
// cluster lock is released (the websocket upgrade).
type streamer func(w http.ResponseWriter, r *http.Request)

const termWait = 10 * time.Second // termproxy waits this long for its client

func (c *Cluster) termRoutes() []route {
	return []route{
		// Opening a shell changes nothing by itself (the commands run in it are
		// counted, mutating or not, under simcore.APISSH), so a run that only
		// observes through termproxy stays at zero mutations.
		{"POST /nodes/{node}/termproxy", false, privCheck("/nodes/{node}", "Sys.Console"), spec("cmd", "cmd-opts"), c.termproxy},
		{"GET /nodes/{node}/vncwebsocket", false, privCheck("/nodes/{node}", "Sys.Console"), spec("port!", "vncticket!"), c.vncwebsocket},
	}
}

// termproxy is POST /nodes/{node}/termproxy: a vncshell worker listening on
// a port in 5900-5999 with a VNC ticket bound to user and /nodes/{node}.
// cmd "login" gives a root shell; "ceph_install" runs pveceph install with
// cmd-opts (NUL-separated), as the GUI's Ceph wizard does.
func (c *Cluster) termproxy(q *call) (any, error) {
	cmd := q.str("cmd")
	if cmd == "" {
		cmd = "login"
	}
	if cmd != "login" && cmd != "ceph_install" && cmd != "upgrade" {
		return nil, paramErr(map[string]string{"cmd": "value '" + cmd + "' does not have a value in the enumeration 'ceph_install, login, upgrade'"})
	}
	if cmd != "login" && (q.who.user != "root@pam" || q.who.token != "") {
		return nil, permErr("user != root@pam")
	}
	n := q.node
	port := 5900
	for n.Term[port] != nil && port < 5999 {
		port++
	}
	if n.Term[port] != nil {
		return nil, errf("unable to find free port (5900-5999)")
	}
	t := c.newTask(n, "vncshell", "", q.who, simcore.OpPVETask)
	t.Manual = true
	t.logf("starting termproxy %s", t.UPID)
	s := &termSession{Port: port, User: q.who.user, Cmd: cmd, Task: t,
		Ticket: makeTicket(n.db.AuthKey, "PVEVNC", "", q.who.user+":/nodes/"+n.Info.Hostname, q.now)}
	for _, o := range strings.Split(q.str("cmd-opts"), "\x00") {
		if o != "" {
			s.Opts = append(s.Opts, o)
		}
	}
	n.Term[port] = s
	return map[string]any{"user": q.who.user, "ticket": s.Ticket, "port": port, "upid": t.UPID}, nil
}

// settleTerm ends termproxy workers whose client never came.
func (c *Cluster) settleTerm() {
	now := c.env.Now()
	for _, n := range c.nodes {
		for port, s := range n.Term {
			if !s.Connected && now.Sub(s.Task.Start) > termWait {
				end := s.Task.Start.Add(termWait)
				s.Task.End, s.Task.Err = &end, "failed waiting for client: timed out"
				delete(n.Term, port)
			}
		}
	}
}

// vncwebsocket is GET /nodes/{node}/vncwebsocket: checks the VNC ticket and
// the upgrade headers, then relays the websocket to the termproxy worker.
func (c *Cluster) vncwebsocket(q *call) (any, error) {
	port := q.intOr("port", 0)
	if port < 5900 || port > 5999 {
		return nil, paramErr(map[string]string{"port": "value must have a minimum value of 5900"})
	}
	n := q.node
	path := "/nodes/" + n.Info.Hostname
	if _, ok := checkTicket(n.db.AuthKey, q.str("vncticket"), "PVEVNC", q.who.user+":"+path, q.now, vncTicketMaxAge); !ok {
		return nil, errf("permission denied - invalid vnc ticket")
	}
	s := n.Term[port]
	if s == nil || s.Connected {
		return nil, errf("connect to 'localhost:%d' failed: Connection refused", port)
	}
	h := q.r.Header
	proto := wsProtocol(h.Get("Sec-WebSocket-Protocol"))
	switch {
	case !strings.EqualFold(h.Get("Upgrade"), "websocket"):
		return nil, &apiError{status: http.StatusNotImplemented, msg: "unable to upgrade to protocol '" + h.Get("Upgrade") + "'"}
	case h.Get("Sec-WebSocket-Version") != "13":
		return nil, &apiError{status: http.StatusNotImplemented, msg: "unsupported websocket-version '" + h.Get("Sec-WebSocket-Version") + "'"}
	case proto == "":
		return nil, &apiError{status: http.StatusNotImplemented, msg: "unsupported websocket-protocol protocol '" + h.Get("Sec-WebSocket-Protocol") + "'"}
	case h.Get("Sec-WebSocket-Key") == "":
		return nil, &apiError{status: http.StatusNotImplemented, msg: "missing websocket-key"}
	}
	s.Connected = true
	host := n.Info.Hostname
	return streamer(func(w http.ResponseWriter, r *http.Request) {
		ws, err := writerFrom(r).upgrade(r, proto)
		if err != nil {
			return
		}
		defer ws.Close()
		ws.SetReadLimit(wsMaxLen)
		c.runTerm(host, s, ws)
	}), nil
}

// runTerm is termproxy: the "user:ticket\n" line first, "OK", then the
// framed input ("0:LEN:DATA", "1:COLS:ROWS:", "2") to the command, whose
// output goes back raw.
func (c *Cluster) runTerm(host string, s *termSession, ws *websocket.Conn) {
	defer c.endTerm(host, s)
	_ = ws.SetReadDeadline(time.Now().Add(termWait))
	var buf []byte
	for !strings.Contains(string(buf), "\n") {
		data, ok := wsNext(ws)
		if !ok {
			return
		}
		buf = append(buf, data...)
	}
	line, rest, _ := strings.Cut(string(buf), "\n")
	user, ticket, _ := strings.Cut(line, ":")
	if user != s.User || ticket != s.Ticket {
		return
	}
	_ = ws.SetReadDeadline(time.Time{})
	t := &terminal{sh: c.newShell(host), send: func(b []byte) error { return ws.WriteMessage(websocket.BinaryMessage, b) }}
	if t.send([]byte("OK")) != nil {
		return
	}
	if s.Cmd != "login" {
		t.runCommand(s)
		return
	}
	t.banner(host)
	if !t.feed([]byte(rest)) {
		return
	}
	for {
		data, ok := wsNext(ws)
		if !ok || !t.feed(data) {
			return
		}
	}
}

// wsNext returns the next data message's payload (the library answers
// pings and closes).
func wsNext(ws *websocket.Conn) ([]byte, bool) {
	_, payload, err := ws.ReadMessage()
	return payload, err == nil
}

func (c *Cluster) endTerm(host string, s *termSession) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.env.Now()
	s.Task.End = &now
	if n := c.nodes[host]; n != nil && n.Term[s.Port] == s {
		delete(n.Term, s.Port)
	}
}

func (t *terminal) runCommand(s *termSession) {
	line := "pveceph install " + strings.Join(s.Opts, " ")
	if s.Cmd == "upgrade" {
		line = "apt-get dist-upgrade"
	}
	var out strings.Builder
	t.sh.run(context.Background(), line, &out, &out)
	_ = t.send([]byte(strings.ReplaceAll(out.String(), "\n", "\r\n")))
}
