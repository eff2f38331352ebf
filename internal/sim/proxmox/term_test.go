package proxmox_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// wsConn is the test's websocket client of the termproxy session.
type wsConn struct{ c *websocket.Conn }

func (c *wsConn) send(payload string) error {
	return c.c.WriteMessage(websocket.BinaryMessage, []byte(payload))
}

func (c *wsConn) recv() (string, error) {
	_, b, err := c.c.ReadMessage()
	return string(b), err
}

// readUntil collects output until it contains want.
func (c *wsConn) readUntil(t *testing.T, want string) string {
	t.Helper()
	_ = c.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var out strings.Builder
	for !strings.Contains(out.String(), want) {
		s, err := c.recv()
		if err != nil {
			t.Fatalf("waiting for %q: %v (got %q)", want, err, out.String())
		}
		out.WriteString(s)
	}
	return out.String()
}

func (c *wsConn) typeLine(line string) error {
	return c.send(fmt.Sprintf("0:%d:%s\r", len(line)+1, line))
}

// openTerm does termproxy + vncwebsocket as the PVE web console does.
func openTerm(t *testing.T, w *world, node string, params map[string]any) *wsConn {
	t.Helper()
	hc := w.httpClient(node, "")
	resp, err := hc.PostForm(w.apiURL(node)+"/access/ticket", url.Values{"username": {"root@pam"}, "password": {w.hosts[node].RootPassword}})
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		Data struct{ Ticket, CSRFPreventionToken string }
	}
	decodeBody(t, resp, &login)
	form := url.Values{}
	for k, v := range params {
		form.Set(k, fmt.Sprint(v))
	}
	req, _ := http.NewRequest(http.MethodPost, w.apiURL(node)+"/nodes/"+node+"/termproxy", strings.NewReader(form.Encode()))
	req.Header.Set("Cookie", "PVEAuthCookie="+url.QueryEscape(login.Data.Ticket))
	req.Header.Set("CSRFPreventionToken", login.Data.CSRFPreventionToken)
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var term struct {
		Data struct {
			User, Ticket, UPID string
			Port               int
		}
	}
	decodeBody(t, resp, &term)
	if !strings.HasPrefix(term.Data.Ticket, "PVEVNC:") || term.Data.Port != 5900 || !strings.Contains(term.Data.UPID, ":vncshell::") {
		t.Fatalf("termproxy = %+v", term.Data)
	}

	addr := w.hosts[node].PublicIP + ":8006"
	lb, _ := w.env.Net.Lookup(addr)
	fp := w.sim.Fingerprint(node)
	conn, err := tls.Dial("tcp", lb, &tls.Config{InsecureSkipVerify: true, VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
		if colonFP(raw[0]) != fp {
			return fmt.Errorf("fingerprint mismatch")
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	q := url.Values{"port": {fmt.Sprint(term.Data.Port)}, "vncticket": {term.Data.Ticket}}
	d := websocket.Dialer{
		NetDialContext: func(context.Context, string, string) (net.Conn, error) { return conn, nil },
		Subprotocols:   []string{"binary"},
	}
	c, resp, err := d.Dial("ws://"+addr+"/api2/json/nodes/"+node+"/vncwebsocket?"+q.Encode(),
		http.Header{"Cookie": {"PVEAuthCookie=" + url.QueryEscape(login.Data.Ticket)}})
	if err != nil || c.Subprotocol() != "binary" {
		t.Fatalf("websocket upgrade = %v, %v", resp, err)
	}
	ws := &wsConn{c: c}
	if err := ws.send(term.Data.User + ":" + term.Data.Ticket + "\n"); err != nil {
		t.Fatal(err)
	}
	if got := ws.readUntil(t, "OK"); !strings.HasPrefix(got, "OK") {
		t.Fatalf("termproxy answered %q", got)
	}
	return ws
}

// Elastic Metal hosts have no SSH: the node shell over termproxy runs the
// same commands.
func TestTermproxyShell(t *testing.T) {
	w := newWorld(t)
	h := w.addHost("pve1", "fr-par-2", "198.51.100.11")
	h.SSHEnabled = false
	w.sim.RemoveHost(h.ServerID)
	h.ServerID = "em-1"
	if err := w.sim.AddHost(h); err != nil {
		t.Fatal(err)
	}
	w.hosts["pve1"] = h
	if _, ok := w.env.Net.Lookup("198.51.100.11:22"); ok {
		t.Fatal("SSH listens on a host with SSH disabled")
	}
	ws := openTerm(t, w, "pve1", nil)
	ws.readUntil(t, "root@pve1:~# ")
	if err := ws.send("1:120:40:"); err != nil {
		t.Fatal(err)
	}
	ws.send("2")
	ws.typeLine("hostname")
	if out := ws.readUntil(t, "root@pve1:~# "); !strings.Contains(out, "\r\npve1\r\n") {
		t.Fatalf("hostname output %q", out)
	}
	ws.typeLine("pveceph install --repository no-subscription --version squid; echo rc=$?")
	if out := ws.readUntil(t, "root@pve1:~# "); !strings.Contains(out, "installed ceph squid successfully!") || !strings.Contains(out, "rc=0") {
		t.Fatalf("pveceph install output %q", out)
	}
	ws.typeLine("nosuch")
	if out := ws.readUntil(t, "root@pve1:~# "); !strings.Contains(out, "bash: nosuch: command not found") {
		t.Fatalf("unknown command output %q", out)
	}
	ws.typeLine("exit")
	ws.readUntil(t, "logout")
	if st := w.sim.State(); !st.Nodes[0].CephInstalled {
		t.Fatal("pveceph install over termproxy did not install")
	}
}

func TestTermproxyCephInstallCommand(t *testing.T) {
	w := newWorld(t)
	w.addHost("pve1", "DC2", "198.51.100.11")
	ws := openTerm(t, w, "pve1", map[string]any{"cmd": "ceph_install", "cmd-opts": "--repository\x00no-subscription\x00--version\x00reef\x00"})
	if out := ws.readUntil(t, "successfully"); !strings.Contains(out, "installed ceph reef") {
		t.Fatalf("ceph_install output %q", out)
	}
}
