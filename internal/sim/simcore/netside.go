package simcore

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"syscall"
)

// Side is the part of the simulated network an address lives on.
type Side string

// The two sides of the network. The public side holds the Scaleway API, the
// Image Factory and the hosts' public addresses; the private side is the
// VLAN between the AZs: the hosts' bridge addresses, the VMs and the VIP.
const (
	SidePublic  Side = "public"
	SidePrivate Side = "private"
)

// Operator is where the operator (tripod, any client of `sim serve`) stands.
type Operator string

// The operator's positions. OperatorPrivate is a runner inside a VPN on the
// VLAN: it reaches every simulated address directly. OperatorPublic is a
// laptop or CI runner on the internet: it reaches private addresses only
// through a host's SSH.
const (
	OperatorPrivate Operator = "private"
	OperatorPublic  Operator = "public"
)

// ParseOperator reads "public" or "private" ("" is the default, private).
func ParseOperator(s string) (Operator, error) {
	switch Operator(strings.ToLower(strings.TrimSpace(s))) {
	case "", OperatorPrivate:
		return OperatorPrivate, nil
	case OperatorPublic:
		return OperatorPublic, nil
	}
	return "", fmt.Errorf("unknown operator position %q: use public or private", s)
}

// SideOf decides the side of a simulated address. An IP address is private
// when it is in RFC 1918 (or IPv6 ULA) space: the inventories' VLAN ranges.
// A name is public (factory.talos.dev), except the Kubernetes endpoint,
// which names the control-plane VIP on the VLAN whatever its spelling
// (k8s.prod.internal).
func SideOf(address, service string) Side {
	host, _ := SplitHostPort(address)
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Unmap().IsPrivate() {
			return SidePrivate
		}
		return SidePublic
	}
	if service == string(APIKube) {
		return SidePrivate
	}
	return SidePublic
}

// DialPrivate opens a connection to a private simulated address the way a
// simulated host on the VLAN does (sshd forwarding a direct-tcpip channel).
// from names the dialing host, for errors. Whether the host may reach the
// VLAN at all is Env.Reach's answer, which the caller asks first. A dark target hangs, as on a
// direct dial; an address nothing listens on is refused.
func (e *Env) DialPrivate(ctx context.Context, from, address string) (net.Conn, error) {
	e.Net.mu.Lock()
	m := e.Net.entries[address]
	e.Net.mu.Unlock()
	if m == nil {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: fmt.Errorf("%s: connect to %s: %w", from, address, syscall.ECONNREFUSED)}
	}
	if m.entry.Side != SidePrivate {
		return nil, fmt.Errorf("%s: %s is not on the private network", from, address)
	}
	if m.mem != nil {
		return m.mem.dial(ctx)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", m.entry.Loopback)
}

// memListener is a listener with no socket address: connections come only
// from dial, over a kernel socket pair (buffered both ways, with deadlines,
// so TLS, HTTP/2 and gRPC behave as over TCP).
type memListener struct {
	addr   memAddr
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newMemListener(address string) *memListener {
	return &memListener{addr: memAddr(address), conns: make(chan net.Conn), closed: make(chan struct{})}
}

func asMem(ln net.Listener) *memListener {
	m, _ := ln.(*memListener)
	return m
}

func (l *memListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *memListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *memListener) Addr() net.Addr { return l.addr }

func (l *memListener) dial(ctx context.Context) (net.Conn, error) {
	client, server, err := connPair()
	if err != nil {
		return nil, fmt.Errorf("failed to connect to %s: %w", l.addr, err)
	}
	select {
	case l.conns <- server:
		return client, nil
	case <-l.closed:
	case <-ctx.Done():
	}
	client.Close()
	server.Close()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return nil, &net.OpError{Op: "dial", Net: "tcp", Err: fmt.Errorf("connect to %s: %w", l.addr, syscall.ECONNREFUSED)}
}

// memAddr is the simulated address a memListener serves.
type memAddr string

func (a memAddr) Network() string { return "tcp" }
func (a memAddr) String() string  { return string(a) }
