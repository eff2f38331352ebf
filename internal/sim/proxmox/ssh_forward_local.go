package proxmox

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"

	"golang.org/x/crypto/ssh"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// A host's own API through its SSH: a direct-tcpip channel to the host's
// own public address (or loopback) on 8006 connects to pveproxy from the
// host itself, through lo, which the PVE firewall always accepts. It is
// how tripod and `tripod tunnel` reach the API once the firewall closes
// 8006 to the internet.

// localAPIPort is the one port a host forwards to itself.
const localAPIPort = 8006

// pipeListener hands in-process connections to the node's HTTP server.
type pipeListener struct {
	conns chan net.Conn
	once  sync.Once
	done  chan struct{}
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error { l.once.Do(func() { close(l.done) }); return nil }

func (l *pipeListener) Addr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: localAPIPort}
}

func (l *pipeListener) dial(ctx context.Context) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, errors.New("connection refused")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// serveLocal makes the node's API answer on its loopback as well.
func (c *Cluster) serveLocal(n *node, tcfg *tls.Config) {
	n.local = newPipeListener()
	go func() { _ = n.srv.Serve(tls.NewListener(n.local, tcfg)) }()
}

// forwardToSelf serves a direct-tcpip channel to the host itself on 8006;
// it reports false for any other target, which sshForward handles.
func (c *Cluster) forwardToSelf(ctx context.Context, host string, req directTCPIP, nc ssh.NewChannel) bool {
	c.mu.Lock()
	n := c.nodes[host]
	c.mu.Unlock()
	if n == nil || n.local == nil || req.Port != localAPIPort ||
		(req.Host != n.Info.PublicIP && req.Host != "127.0.0.1" && req.Host != "localhost") {
		return false
	}
	route := "direct-tcpip proxmox-local"
	conn, err := n.local.dial(ctx)
	if err != nil {
		c.env.Log.Record(simcore.APISSH, route, false, "connect-failed")
		_ = nc.Reject(ssh.ConnectionFailed, "Connection refused")
		return true
	}
	c.env.Log.Record(simcore.APISSH, route, false, "open")
	ch, reqs, err := nc.Accept()
	if err != nil {
		conn.Close()
		return true
	}
	go ssh.DiscardRequests(reqs)
	pipe(ctx, ch, conn)
	return true
}
