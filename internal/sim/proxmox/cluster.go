package proxmox

import (
	"context"
	"fmt"
	"net"
	"sort"
	"sync"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// ImageSource is what download-url asks instead of fetching a URL: the Image
// Factory simulator (internal/sim/factory) satisfies it.
type ImageSource interface {
	Checksum(schematic, version, file string) (sha256hex string, size int64, ok bool)
	Content(schematic, version, file string) ([]byte, bool)
}

// PreloadedVM is a guest that already exists on a host when it appears: a
// foreign VM, without the cluster's ownership tag, that the tool must leave
// alone.
type PreloadedVM struct {
	VMID      int
	Name      string
	Tags      []string
	Cores     int
	MemoryMiB int
	Running   bool
}

// Cluster is every simulated Proxmox VE host, clustered or not. Its exported
// fields are hooks and knobs the top level sets before hosts appear.
type Cluster struct {
	// OnVMStarted is called (outside any lock) when a VM's start task
	// completes, with the IP from its cloud-init ipconfig0.
	OnVMStarted func(simcore.VMInfo)
	// OnVMStopped is called when a running VM stops, and when a VM is deleted.
	OnVMStopped func(node string, vmid int, ipCIDR string)
	// OnPrivateLink reports whether the server (by Scaleway ID) is attached
	// to its private network (an active RPNv2 member, an attached Elastic
	// Metal private network). SSH forwards onto the VLAN need it; nil
	// counts every server as attached.
	OnPrivateLink func(serverID string) bool
	// OnVMDestroyed is called, after OnVMStopped, when a VM is deleted with
	// its disks: what ran on them is gone.
	OnVMDestroyed func(node string, vmid int, ipCIDR string)
	// Images answers download-url checksums; nil makes downloads fail.
	Images ImageSource
	// Version is the pve-manager version every host reports.
	Version string
	// HostReserveMiB is the memory the host itself keeps from guests, and
	// OSDMemoryMiB what each OSD on it takes (osd_memory_target).
	HostReserveMiB int64
	OSDMemoryMiB   int64
	// OperatorSource is the public address the operator's connections to
	// the hosts' public ports come from (exposure.go); the host firewalls
	// judge them by it.
	OperatorSource string

	env *simcore.Env

	mu       sync.Mutex
	nodes    map[string]*node // by hostname
	preloads map[string][]PreloadedVM
	hooks    []func()
}

// New returns an empty simulated fleet.
func New(env *simcore.Env) *Cluster {
	c := &Cluster{
		Version:        "8.4.1",
		HostReserveMiB: 2048,
		OSDMemoryMiB:   4096,
		OperatorSource: DefaultOperatorSource,
		env:            env,
		nodes:          map[string]*node{},
		preloads:       map[string][]PreloadedVM{},
	}
	env.SetHostLinks(c.onVLAN)     // what a host's forward reaches on the VLAN
	env.SetGateways(c.gatewayHost) // which host routes a VM's traffic out (egress)
	return c
}

// lockSettled takes the lock and brings every computed state up to now
// (finished tasks applied); the returned func unlocks and then runs the
// hooks queued meanwhile, so hooks may call back into the simulator.
func (c *Cluster) lockSettled() func() {
	c.mu.Lock()
	c.settle()
	return func() {
		hooks := c.hooks
		c.hooks = nil
		c.mu.Unlock()
		for _, h := range hooks {
			h()
		}
	}
}

// AddHost makes a freshly installed Proxmox VE node appear at h.PublicIP.
// Adding a host that is already present (same server ID) is a no-op, so the
// top level may replay install completions after Load.
func (c *Cluster) AddHost(h simcore.HostInfo) error {
	if h.Hostname == "" || net.ParseIP(h.PublicIP) == nil {
		return fmt.Errorf("failed to add Proxmox host %q: need a hostname and a public IP", h.ServerID)
	}
	unlock := c.lockSettled()
	defer unlock()
	if old := c.nodes[h.Hostname]; old != nil {
		if old.Info.ServerID == h.ServerID {
			return nil
		}
		return fmt.Errorf("failed to add Proxmox host %s: node name already used by server %s", h.Hostname, old.Info.ServerID)
	}
	n, err := c.newNode(h)
	if err != nil {
		return err
	}
	if err := c.startNode(n); err != nil {
		return err
	}
	c.nodes[h.Hostname] = n
	for _, p := range c.preloads[h.Hostname] {
		c.preloadVM(n, p)
	}
	delete(c.preloads, h.Hostname)
	return nil
}

// RemoveHost makes a server's node disappear (reinstalled or deleted): its
// listeners close, its running guests stop (OnVMStopped fires), and a
// cluster keeps listing it as an offline member.
func (c *Cluster) RemoveHost(serverID string) {
	unlock := c.lockSettled()
	var gone *node
	for name, n := range c.nodes {
		if n.Info.ServerID == serverID {
			gone = n
			delete(c.nodes, name)
		}
	}
	if gone != nil {
		for _, v := range gone.runningVMs() { // the guests die with the host
			c.stopVM(v)
		}
	}
	unlock()
	if gone != nil {
		c.stopNode(gone)
	}
}

// Close stops every host's listeners.
func (c *Cluster) Close() {
	c.mu.Lock()
	nodes := c.nodeList()
	c.nodes = map[string]*node{}
	c.mu.Unlock()
	for _, n := range nodes {
		c.stopNode(n)
	}
}

// PreloadVM creates a VM on hostname once that host appears (at once if it
// already has).
func (c *Cluster) PreloadVM(hostname string, v PreloadedVM) {
	unlock := c.lockSettled()
	defer unlock()
	if n := c.nodes[hostname]; n != nil {
		c.preloadVM(n, v)
		return
	}
	c.preloads[hostname] = append(c.preloads[hostname], v)
}

// Fingerprint is the SHA-256 fingerprint (colon hex) of the certificate the
// host serves now, "" if there is no such host.
func (c *Cluster) Fingerprint(hostname string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := c.nodes[hostname]; n != nil {
		return n.Cert.fingerprint()
	}
	return ""
}

// SwapCertificate replaces a host's certificate with an unrelated
// self-signed one, as a man in the middle or a botched renewal would.
func (c *Cluster) SwapCertificate(hostname string) error {
	c.mu.Lock()
	n := c.nodes[hostname]
	if n == nil {
		c.mu.Unlock()
		return fmt.Errorf("failed to swap certificate: no host %s", hostname)
	}
	n.CertGen++
	cert, err := newNodeCert(c.env.Seed, fmt.Sprintf("swap\x00%s\x00%d", n.label(), n.CertGen), nil, n.Info.Hostname, n.Info.PublicIP, c.env.Now())
	if err == nil {
		n.Cert = cert
	}
	c.mu.Unlock()
	if err != nil {
		return err
	}
	n.conns.restart()
	return nil
}

// AwaitState waits until cond holds for the simulator's state, or ctx ends.
func (c *Cluster) AwaitState(ctx context.Context, cond func(State) bool) error {
	for {
		if cond(c.State()) {
			return nil
		}
		if err := simcore.Sleep(ctx, pollInterval); err != nil {
			return err
		}
	}
}

func (c *Cluster) nodeList() []*node {
	out := make([]*node, 0, len(c.nodes))
	for _, n := range c.nodes {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Info.Hostname < out[j].Info.Hostname })
	return out
}

// online reports whether a node answers: present and not in a dark placement.
func (c *Cluster) online(name string) bool {
	n := c.nodes[name]
	return n != nil && c.env.Reachable(simcore.Outside, simcore.At(n.Info.Placement))
}

// queue defers a hook call until the lock is released.
func (c *Cluster) queue(f func()) { c.hooks = append(c.hooks, f) }
