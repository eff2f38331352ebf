package stage

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/netx"
	"github.com/tripod-dev/tripod/internal/proxmox"
)

// routed wraps d with the route to the private network the inventory asks
// for: with access.via ssh (the default), every address in network.subnet
// (the VMs, the VIP, the hosts' bridge addresses) and the Kubernetes
// endpoint when it names one of them go through a direct-tcpip channel of
// an SSH connection to a host; everything else (the Scaleway API, the
// hosts' public addresses, the Image Factory) is dialed directly. With
// access.via direct and access.allowedSources, d is returned as it is.
// Otherwise every call to a host's Proxmox API goes through a direct-tcpip
// channel of that host's own SSH, which reaches pveproxy through lo: the
// hosts' firewalls (the harden stage) close 8006 to the internet, or open
// it only to the allowed sources, and SSH is the one path that stays open
// whatever the firewall's state (changing allowedSources needs the API
// before the firewall says the new thing). With access.via direct the
// operator must be in an allowed source, or leave them out.
func (e *Env) routed(d *netx.Dialer) *netx.Dialer {
	if d == nil || e.Inv == nil || e.Layout() == nil {
		return d
	}
	a := e.Cluster().Access
	if a.Via != inventory.ViaSSH && a.ManagementPublic() {
		return d
	}
	return d.WithRoute(newHostRouter(e, d.Simulation()), e.Timing.Attempt(10*time.Second))
}

// Close closes what the run's Env holds open: the SSH connections its route
// keeps to the hosts. The CLI calls it when a command ends.
func (e *Env) Close() error {
	if e.Dialer == nil {
		return nil
	}
	return e.Dialer.Close()
}

// hostRouter names the jump hosts for a private destination, best first:
// the target's own host (a VM's, or the host whose bridge address it is),
// then the other hosts of the target's AZ, then the hosts of the other
// AZs. The VIP's AZs are those holding control planes. It is built from the
// layout alone; the hosts' public addresses and the pins come from the run's
// fleet when a dial asks (the servers stage publishes the addresses, a dry
// run's fleet pins in memory only).
type hostRouter struct {
	e      *Env
	subnet netip.Prefix
	byAddr map[netip.Addr][]string // private address -> hosts, best first
	vip    []string                // hosts for the VIP and the endpoint's name
	all    []string                // every host, in layout order
	// name is the Kubernetes endpoint's host when it is a name, not an
	// address; whether it is private is decided once (endpointPrivate).
	name     string
	simulate bool
	// viaSSH routes the private network through the hosts (access.via
	// ssh); apiViaSSH routes each host's API (8006) through its own SSH.
	viaSSH, apiViaSSH bool
	once              sync.Once
	private           bool
}

func newHostRouter(e *Env, simulate bool) *hostRouter {
	l, c := e.Layout(), e.Cluster()
	r := &hostRouter{e: e, subnet: c.Network.Subnet.Masked(), byAddr: map[netip.Addr][]string{}, simulate: simulate,
		viaSSH: c.Access.Via == inventory.ViaSSH, apiViaSSH: c.Access.Via == inventory.ViaSSH || !c.Access.ManagementPublic()}
	for _, h := range l.Hosts {
		r.all = append(r.all, h.Name)
	}
	for _, h := range l.Hosts {
		if h.PrivateAddress.IsValid() {
			r.byAddr[h.PrivateAddress] = r.order([]string{h.Name}, []string{h.AZ})
		}
	}
	var cpHosts, cpAZs []string
	for _, vm := range l.VMs {
		r.byAddr[vm.Address] = r.order([]string{vm.Host}, []string{vm.AZ})
		if vm.Type == inventory.ControlPlaneNode {
			cpHosts, cpAZs = append(cpHosts, vm.Host), append(cpAZs, vm.AZ)
		}
	}
	r.vip = r.order(cpHosts, cpAZs)
	if v := c.Talos.VIP; v.IsValid() {
		r.byAddr[v] = r.vip
	}
	if u, err := url.Parse(c.Talos.Endpoint); err == nil {
		if _, err := netip.ParseAddr(u.Hostname()); err != nil && u.Hostname() != "" {
			r.name = u.Hostname()
		}
	}
	return r
}

// order is first (deduplicated), then the other hosts of azs, then the
// rest, each group in layout order.
func (r *hostRouter) order(first, azs []string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(h string) {
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	for _, h := range first {
		add(h)
	}
	inAZ := map[string]bool{}
	for _, az := range azs {
		inAZ[az] = true
	}
	for _, h := range r.e.Layout().Hosts {
		if inAZ[h.AZ] {
			add(h.Name)
		}
	}
	for _, h := range r.all {
		add(h)
	}
	return out
}

// Jumps is netx.Router: the jump hosts for address, none for a public one.
func (r *hostRouter) Jumps(address string) []netx.Jump {
	hosts := r.hostsFor(address)
	jumps := make([]netx.Jump, 0, len(hosts))
	for _, h := range hosts {
		jumps = append(jumps, r.jump(h))
	}
	return jumps
}

func (r *hostRouter) hostsFor(address string) []string {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil
	}
	if port == proxmoxAPIPort && r.apiViaSSH {
		if h := r.hostAt(host); h != "" {
			return []string{h}
		}
	}
	if !r.viaSSH {
		return nil
	}
	if a, err := netip.ParseAddr(host); err == nil {
		a = a.Unmap()
		if !r.subnet.Contains(a) {
			return nil
		}
		if hosts, ok := r.byAddr[a]; ok {
			return hosts
		}
		return r.all
	}
	if host == r.name && r.endpointPrivate() {
		return r.vip
	}
	return nil
}

// proxmoxAPIPort is where pveproxy listens.
const proxmoxAPIPort = "8006"

// hostAt is the host whose public address (as the fleet knows it) is
// address, "" when none is or no step has reached the hosts yet.
func (r *hostRouter) hostAt(address string) string {
	f := r.e.builtFleet.Load()
	if f == nil {
		return ""
	}
	for _, h := range r.all {
		if ep, err := f.Endpoint(h); err == nil && ep.Address == address {
			return h
		}
	}
	return ""
}

// endpointPrivate decides, once, whether the Kubernetes endpoint's name is
// on the private network: it resolves into network.subnet, or it does not
// resolve from here and talos.vip is in the subnet (a name only the private
// network's DNS knows; the jump host resolves it). Simulation does no DNS:
// the simulator serves the endpoint's name as the VIP's.
func (r *hostRouter) endpointPrivate() bool {
	r.once.Do(func() {
		vip := r.e.Cluster().Talos.VIP
		fallback := vip.IsValid() && r.subnet.Contains(vip)
		if r.simulate {
			r.private = fallback
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip4", r.name)
		if err != nil || len(addrs) == 0 {
			r.private = fallback
			return
		}
		for _, a := range addrs {
			if r.subnet.Contains(a.Unmap()) {
				r.private = true
			}
		}
	})
	return r.private
}

// jump is host as a jump: its sshd at its public address, as root with the
// cluster's SSH key, the host key pinned as the fleet pins it.
func (r *hostRouter) jump(host string) netx.Jump {
	f := r.e.builtFleet.Load()
	if f == nil {
		return netx.Jump{Key: host, Err: errors.New("no step of this run has reached the hosts yet")}
	}
	ep, err := f.Endpoint(host)
	if err != nil {
		return netx.Jump{Key: host, Err: err}
	}
	key, err := r.e.sshKey()
	if err != nil {
		return netx.Jump{Key: host, Err: err}
	}
	addr := proxmox.SSHAddress(ep)
	return netx.Jump{Key: host, Address: addr, Config: proxmox.SSHConfig(f.Pins(), host, addr, key)}
}

// sshKey is the cluster's SSH key (secret ssh-key), which the os stage
// installs for root on every host. Once read it is kept: the route asks
// for it on every dial, and the store would read (and, sealed, decrypt)
// the secret each time. Until the os stage has made it, each ask reads
// again.
func (e *Env) sshKey() (ssh.Signer, error) {
	if k := e.sshSigner.Load(); k != nil {
		return *k, nil
	}
	pem, err := e.State.Secrets.Get(secretSSHKey)
	if err != nil {
		return nil, fmt.Errorf("no SSH key (secret %s): %w", secretSSHKey, err)
	}
	k, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		return nil, fmt.Errorf("secret %s is not an SSH private key: %w", secretSSHKey, err)
	}
	e.sshSigner.Store(&k)
	return k, nil
}
