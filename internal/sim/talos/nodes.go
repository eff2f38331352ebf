package talos

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// Nodes is every simulated Talos node of one simulated world. Build it with
// New; set the exported knobs before the first Boot or Load.
type Nodes struct {
	// Platform and PlatformMode are what Version reports. A Proxmox VM
	// booted from the Image Factory nocloud ISO says "nocloud" and "cloud".
	Platform, PlatformMode string
	// EtcdTimeout bounds each etcd call a handler makes, standing in for the
	// client's own deadline when it sets none (default 5s).
	EtcdTimeout time.Duration
	// Tick is how often node state machines advance (default 20ms).
	Tick time.Duration
	// OnPowerOff, if set, is told (with the VM's IPCIDR) when a node turns
	// itself off, as Reset without reboot does, so the VM's owner can mark
	// the VM stopped. It is not called for PowerOff, which the owner asked for.
	OnPowerOff func(ipCIDR string)

	env     *simcore.Env
	dataDir string

	mu       sync.Mutex
	nodes    map[string]*node // by IP
	clusters map[string]*cluster
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup // the loop and async etcd work
	bg       sync.WaitGroup // stops still finishing (servers, etcd members)
	loop     sync.Once
	closed   bool
}

// New returns an empty set of nodes. Etcd data lives under dataDir, one
// directory per control plane.
func New(env *simcore.Env, dataDir string) *Nodes {
	ctx, cancel := context.WithCancel(context.Background())
	return &Nodes{env: env, dataDir: dataDir, nodes: map[string]*node{}, clusters: map[string]*cluster{},
		ctx: ctx, cancel: cancel}
}

func (ns *Nodes) platform() (string, string) {
	p, m := ns.Platform, ns.PlatformMode
	if p == "" {
		p, m = "nocloud", "cloud"
	}
	return p, m
}

func (ns *Nodes) etcdTimeout() time.Duration {
	if ns.EtcdTimeout > 0 {
		return ns.EtcdTimeout
	}
	return 5 * time.Second
}

// Boot starts a VM's Talos: after OpVMBoot the node answers on
// <IP>:50000, in maintenance mode or, if it was installed before, with its
// config. Booting a node that is already running does nothing. Problems
// (an address that does not parse) are recorded in env.Log.
func (ns *Nodes) Boot(vm simcore.VMInfo) {
	ip, err := ipOf(vm.IPCIDR)
	if err != nil {
		ns.env.Log.Error(simcore.APITalos, "protocol", fmt.Sprintf("boot of VM %d (%s): %v", vm.VMID, vm.Name, err))
		return
	}
	ns.mu.Lock()
	if ns.closed {
		ns.mu.Unlock()
		return
	}
	n := ns.nodes[ip]
	if n == nil {
		n = newNode(ns, vm, ip)
		ns.nodes[ip] = n
	}
	ns.mu.Unlock()
	n.powerOn(vm)
	ns.startLoop()
}

// PowerOff stops a node at once, as pulling the plug would: its API stops
// answering and its etcd member stops without a goodbye.
func (ns *Nodes) PowerOff(ipCIDR string) {
	if n := ns.lookupCIDR(ipCIDR); n != nil {
		n.powerOff()
	}
}

// Destroy forgets the node at ipCIDR once its VM is deleted with its
// disks: it stops at once, its etcd data (a control plane's) goes, and a
// new VM booting at the same address starts from maintenance mode, as a
// fresh disk does.
func (ns *Nodes) Destroy(ipCIDR string) {
	n := ns.lookupCIDR(ipCIDR)
	if n == nil {
		return
	}
	n.powerOff()
	ns.mu.Lock()
	if ns.nodes[n.ip] == n {
		delete(ns.nodes, n.ip)
	}
	ns.mu.Unlock()
	n.mu.Lock()
	info, last := n.etcd, n.lastMember
	n.mu.Unlock()
	if info == nil {
		return
	}
	// The member's files go once it has let go of them (a hard stop
	// finishes in the background).
	ns.background(func() {
		if last != nil {
			<-last.closed
		}
		_ = os.RemoveAll(ns.memberDir(info))
		_ = os.RemoveAll(ns.memberPKI(info))
	})
}

// PowerOn boots a node that was powered off, with the VM it had.
func (ns *Nodes) PowerOn(ipCIDR string) {
	if n := ns.lookupCIDR(ipCIDR); n != nil {
		n.powerOn(n.vmInfo())
		ns.startLoop()
	}
}

func (ns *Nodes) lookupCIDR(ipCIDR string) *node {
	ip, err := ipOf(ipCIDR)
	if err != nil {
		return nil
	}
	return ns.byIP(ip)
}

func (ns *Nodes) byIP(ip string) *node {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return ns.nodes[ip]
}

// all returns the nodes sorted by address.
func (ns *Nodes) all() []*node {
	ns.mu.Lock()
	out := make([]*node, 0, len(ns.nodes))
	for _, n := range ns.nodes {
		out = append(out, n)
	}
	ns.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ip < out[j].ip })
	return out
}

// ipOf accepts "10.20.0.11/24" (cloud-init ipconfig0) or a bare address.
func ipOf(s string) (string, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Addr().String(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return "", fmt.Errorf("address %q is neither an IP nor a CIDR", s)
	}
	return a.String(), nil
}

// startLoop starts the goroutine that advances every node's state machine.
// Transitions are computed from start times (env.Done), so a saved and
// reloaded world resumes where it was.
func (ns *Nodes) startLoop() {
	ns.loop.Do(func() {
		tick := ns.Tick
		if tick <= 0 {
			tick = 20 * time.Millisecond
		}
		ns.wg.Add(1)
		go func() {
			defer ns.wg.Done()
			t := time.NewTicker(tick)
			defer t.Stop()
			for {
				select {
				case <-ns.ctx.Done():
					return
				case <-t.C:
					for _, n := range ns.all() {
						n.advance()
					}
				}
			}
		}()
	})
}

// goAsync runs slow work (etcd starts and joins) off the loop, tracked so
// Close waits for it. It reports false, running nothing, once closed.
func (ns *Nodes) goAsync(f func(ctx context.Context)) bool {
	ns.mu.Lock()
	if ns.closed {
		ns.mu.Unlock()
		return false
	}
	ns.wg.Add(1)
	ns.mu.Unlock()
	go func() {
		defer ns.wg.Done()
		f(ns.ctx)
	}()
	return true
}

// background runs a stop that may take a while; Close waits for it.
func (ns *Nodes) background(f func()) {
	ns.bg.Add(1)
	go func() {
		defer ns.bg.Done()
		f()
	}()
}

// Close stops every node, etcd member, API server and listener, and waits
// for all of the simulator's goroutines.
func (ns *Nodes) Close() {
	ns.mu.Lock()
	if ns.closed {
		ns.mu.Unlock()
		return
	}
	ns.closed = true
	ns.mu.Unlock()
	ns.cancel()
	ns.wg.Wait()
	var wg sync.WaitGroup
	for _, n := range ns.all() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n.shutdown()
		}()
	}
	wg.Wait()
	ns.bg.Wait()
	ns.mu.Lock()
	clusters := ns.clusters
	ns.mu.Unlock()
	for _, c := range clusters {
		c.close()
	}
}
