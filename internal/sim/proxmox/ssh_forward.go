package proxmox

import (
	"context"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync"

	"golang.org/x/crypto/ssh"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// directTCPIP is the extra data of a "direct-tcpip" channel open (RFC 4254
// 7.2): where to connect, and who asked.
type directTCPIP struct {
	Host       string
	Port       uint32
	OriginIP   string
	OriginPort uint32
}

// sshForward serves a direct-tcpip channel (ssh -J, ssh -W, -L): the host
// connects to a private address on the VLAN for the client. It opens only
// when the host's own leg on that VLAN is up: an active interface with an
// address in the target's subnet (or, for a name, any private address) and,
// where the provider models it, the server's membership of the private
// network. Refusals carry the reason codes and texts OpenSSH sends, and
// every attempt is counted in the request log under "direct-tcpip
// <service>" with its outcome.
func (c *Cluster) sshForward(ctx context.Context, host string, nc ssh.NewChannel) {
	var req directTCPIP
	if err := ssh.Unmarshal(nc.ExtraData(), &req); err != nil {
		c.env.Log.Record(simcore.APISSH, "direct-tcpip", false, "malformed")
		_ = nc.Reject(ssh.ConnectionFailed, "malformed direct-tcpip request")
		return
	}
	target := net.JoinHostPort(req.Host, strconv.FormatUint(uint64(req.Port), 10))
	entry, listening := c.env.Net.Entry(target)
	route := "direct-tcpip"
	if listening {
		route += " " + entry.Service
	}
	reject := func(reason ssh.RejectionReason, msg, outcome string) {
		c.env.Log.Record(simcore.APISSH, route, false, outcome)
		_ = nc.Reject(reason, msg)
	}
	if c.env.Faults.DecideOn(simcore.APISSH, "direct-tcpip", simcore.TransportSSH).SSH() == simcore.MoveRefuse {
		reject(ssh.ResourceShortage, "too many sessions (simulated fault)", "resource-shortage")
		return
	}
	if c.forwardToSelf(ctx, host, req, nc) {
		return
	}
	if simcore.SideOf(target, entry.Service) != simcore.SidePrivate {
		// The simulated hosts forward onto the VLAN only, as a PermitOpen
		// limited to the private ranges would.
		reject(ssh.Prohibited, "open failed", "prohibited")
		return
	}
	if c.env.Reach(simcore.Spot{Host: host}, simcore.Spot{Side: simcore.SidePrivate, Address: req.Host}) == simcore.ReachNoRoute {
		reject(ssh.ConnectionFailed, "No route to host", "no-route")
		return
	}
	conn, err := c.env.DialPrivate(ctx, host, target)
	if err != nil {
		reject(ssh.ConnectionFailed, "Connection refused", "connect-failed")
		return
	}
	// Counted before the confirmation goes out: the client's dial returns
	// on the confirmation, and whoever reads the log after it must see the
	// open (a channel whose confirmation fails broke with its connection).
	c.env.Log.Record(simcore.APISSH, route, false, "open")
	ch, reqs, err := nc.Accept()
	if err != nil {
		conn.Close()
		return
	}
	go ssh.DiscardRequests(reqs)
	pipe(ctx, ch, conn)
}

// onVLAN reports whether host has its leg on the private network that holds
// target (an IP, or a name the VLAN's DNS answers). It is the fleet's
// answer to simcore.HostLinks: Env.Reach asks it for a host's dial.
func (c *Cluster) onVLAN(host, target string) bool {
	c.mu.Lock()
	n := c.nodes[host]
	var serverID string
	ok := false
	if n != nil {
		serverID = n.Info.ServerID
		ip, err := netip.ParseAddr(target)
		for _, a := range n.Net.addresses() {
			own, aerr := netip.ParseAddr(a.IP.String())
			if aerr != nil || !own.IsPrivate() || a.IP.String() == n.Info.PublicIP {
				continue
			}
			if err != nil || a.Contains(net.IP(ip.AsSlice())) {
				ok = true
				break
			}
		}
	}
	link := c.OnPrivateLink
	c.mu.Unlock()
	if !ok {
		return false
	}
	return link == nil || link(serverID)
}

// pipe copies both ways until both directions end or ctx ends (the SSH
// connection closed), half-closing like sshd does.
func pipe(ctx context.Context, ch ssh.Channel, conn net.Conn) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, _ = io.Copy(conn, ch)
		if cw, ok := conn.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		} else {
			_ = conn.Close()
		}
	}()
	go func() {
		defer wg.Done()
		_, _ = io.Copy(ch, conn)
		_ = ch.CloseWrite()
	}()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	_ = ch.Close()
	_ = conn.Close()
}
