package proxmox

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// node is one Proxmox VE host. Exported fields are saved; the rest is the
// running listeners.
type node struct {
	Info    simcore.HostInfo              `json:"info"`
	DBID    string                        `json:"db"`
	Cert    *keyPair                      `json:"cert"`
	CertGen int                           `json:"cert_gen"`
	SSHSeed []byte                        `json:"ssh_seed"`
	Net     *netState                     `json:"net"`
	Ceph    *cephInstall                  `json:"ceph,omitempty"`
	DiskUse map[string]string             `json:"disk_use"`
	Content map[string]map[string]*volume `json:"content"`
	Tasks   []*task                       `json:"tasks"`
	Term    map[int]*termSession          `json:"-"`
	PIDNext int                           `json:"pid_next"`
	Files   map[string]*hostFile          `json:"files,omitempty"`  // what commands wrote to the host's disk
	Kernel  *kernelState                  `json:"kernel,omitempty"` // live network settings, lost at reboot
	Sshd    *sshdState                    `json:"sshd,omitempty"`   // the running sshd's settings (nil: as installed)

	db     *confDB
	srv    *http.Server
	sshLn  net.Listener
	conns  *connTracker
	sshCfg *ssh.ServerConfig
	local  *pipeListener // the API as the host itself reaches it (ssh_forward_local.go)
}

// label identifies this installation in key derivations: a reinstalled
// server gets new keys, as a real reinstall does.
func (n *node) label() string {
	return fmt.Sprintf("%s\x00%s\x00%d", n.Info.ServerID, n.Info.Hostname, n.Info.InstalledAt.UnixNano())
}

// newNode builds a standalone node with its own /etc/pve, CA and certificate.
func (c *Cluster) newNode(h simcore.HostInfo) (*node, error) {
	n := &node{Info: h, DiskUse: map[string]string{}, Content: map[string]map[string]*volume{}, Term: map[int]*termSession{}, PIDNext: 0x1000}
	now := c.env.Now()
	ca, err := newCA(c.env.Seed, n.label(), now)
	if err != nil {
		return nil, err
	}
	if n.Cert, err = newNodeCert(c.env.Seed, n.label(), ca, h.Hostname, h.PublicIP, now); err != nil {
		return nil, err
	}
	n.db = newConfDB("db-"+h.Hostname+"-"+h.ServerID, seedFor(c.env.Seed, "authkey\x00"+n.label()), ca)
	n.DBID = n.db.ID
	n.SSHSeed = seedFor(c.env.Seed, "ssh\x00"+n.label())
	n.Net = defaultNet(h)
	return n, nil
}

// startNode opens the node's HTTPS API and, when enabled, its SSH server.
func (c *Cluster) startNode(n *node) error {
	n.conns = newConnTracker()
	ln, err := c.env.Listen(net.JoinHostPort(n.Info.PublicIP, "8006"), n.Info.Placement, "proxmox")
	if err != nil {
		return fmt.Errorf("failed to start Proxmox API of %s: %w", n.Info.Hostname, err)
	}
	ln = c.filtered(ln, n.Info.Hostname, 8006)
	tcfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"http/1.1"},
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			c.mu.Lock()
			defer c.mu.Unlock()
			cert := n.Cert.tlsCert()
			return &cert, nil
		},
	}
	router := c.newRouter(n)
	n.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			pw, r := withWriter(w, r)
			w.Header().Set("Server", "pve-api-daemon/3.0")
			router.ServeHTTP(pw, r)
			pw.finish()
		}),
		ConnState:         n.conns.track,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          nullLogger(),
	}
	go func() { _ = n.srv.Serve(tls.NewListener(ln, tcfg)) }()
	c.serveLocal(n, tcfg)
	if n.Info.SSHEnabled {
		if err := c.startSSH(n); err != nil {
			c.stopNode(n)
			return err
		}
	}
	return nil
}

// stopNode closes the node's listeners and their address mappings.
func (c *Cluster) stopNode(n *node) {
	c.env.Net.Close(net.JoinHostPort(n.Info.PublicIP, "8006"))
	if n.srv != nil {
		_ = n.srv.Close()
	}
	if n.sshLn != nil {
		c.env.Net.Close(net.JoinHostPort(n.Info.PublicIP, "22"))
		_ = n.sshLn.Close()
	}
}

// connTracker remembers the node's open connections so a certificate change
// (join, swap) drops them, as the pveproxy restart after a join does: idle
// ones at once, busy ones as soon as their response is written.
type connTracker struct {
	mu    sync.Mutex
	gen   int
	conns map[net.Conn]*connInfo
}

type connInfo struct {
	gen   int
	state http.ConnState
}

func newConnTracker() *connTracker { return &connTracker{conns: map[net.Conn]*connInfo{}} }

func (t *connTracker) track(conn net.Conn, state http.ConnState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch state {
	case http.StateClosed, http.StateHijacked:
		delete(t.conns, conn)
		return
	case http.StateNew:
		t.conns[conn] = &connInfo{gen: t.gen}
	}
	info := t.conns[conn]
	if info == nil {
		return
	}
	info.state = state
	if state == http.StateIdle && info.gen < t.gen {
		_ = conn.Close()
	}
}

// restart starts a new generation and closes the idle connections of older
// ones. Call it without holding the cluster lock.
func (t *connTracker) restart() {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.gen++
	for conn, info := range t.conns {
		if info.state == http.StateIdle || info.state == http.StateNew {
			_ = conn.Close()
		}
	}
}
