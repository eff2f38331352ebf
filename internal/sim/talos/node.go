package talos

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/config"
	"google.golang.org/grpc"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// Mode is where a node is in its life.
type Mode string

// The modes a node goes through.
const (
	ModeBooting     Mode = "booting"     // VM started, OpVMBoot not over: nothing answers
	ModeMaintenance Mode = "maintenance" // waiting for a config, insecure API
	ModeInstalling  Mode = "installing"  // config accepted, installing and rebooting
	ModeConfigured  Mode = "configured"  // running its config, mTLS API
	ModeRebooting   Mode = "rebooting"   // Reboot, REBOOT apply or staged config
	ModeResetting   Mode = "resetting"   // Reset: wiping, then maintenance (or off)
	ModeOff         Mode = "off"         // powered off
)

// shutdownShare is the part of a reboot or reset during which the node is
// still shutting down and apid still answers; the rest it is down.
const shutdownShare = 10

// phase is a timed step: op, started at since, leads to next.
type phase struct {
	op    simcore.Op
	since time.Time
	next  Mode
}

type node struct {
	ns   *Nodes
	ip   string
	addr string // ip:50000

	applyMu sync.Mutex // one ApplyConfiguration at a time

	mu            sync.Mutex
	vm            simcore.VMInfo
	mode          Mode
	phase         phase
	cfg           config.Provider
	f             facts
	installed     bool // the config is on disk: the next boot comes up configured
	staged        config.Provider
	tryPrev       config.Provider // TRY apply: the config to roll back to
	tryUntil      time.Time
	rebootPending bool
	wipeEtcd      bool // a reset in progress wipes EPHEMERAL (etcd data), leaving etcd first
	wipeState     bool // ... and STATE (the config)
	gracefulLeave bool // ... after leaving etcd (graceful reset of a control plane)

	srv     *grpc.Server
	srvKind Mode // the kind of server running: maintenance or configured
	cert    tls.Certificate

	etcd         *memberInfo
	member       *member
	lastMember   *member // the last one stopped: a restart waits for its ports
	etcdBusy     int     // etcd operations in flight (a wipe may overlap a leave)
	joining      bool    // added as a learner, not promoted yet
	etcdLeft     bool    // left its cluster; no automatic rejoin until the next boot
	bootstrap    *bootstrapPlan
	kubeletSince time.Time
	bootedAt     time.Time // when the kernel last started: power on, or a reboot or reset

	res        *resources // machined's resources, served over COSI
	timeSynced bool       // the last TimeStatus
	pullErr    string     // the install's last failed pull, "" if none
	log        []string   // what the node logged (machined's log)
}

func newNode(ns *Nodes, vm simcore.VMInfo, ip string) *node {
	return &node{ns: ns, ip: ip, addr: net.JoinHostPort(ip, "50000"), vm: vm, mode: ModeOff, res: newResources()}
}

func (n *node) key() string { return n.ip }

func (n *node) vmInfo() simcore.VMInfo {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.vm
}

// powerOn starts the boot of a node that is off; a running node is left alone.
func (n *node) powerOn(vm simcore.VMInfo) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.mode != ModeOff {
		return
	}
	n.vm = vm
	next := ModeMaintenance
	if n.installed {
		next = ModeConfigured
	} else {
		n.cfg, n.f = nil, facts{}
	}
	n.etcdLeft, n.rebootPending = false, false
	n.bootedAt = n.ns.env.Now()
	n.mode = ModeBooting
	n.phase = phase{op: simcore.OpVMBoot, since: n.ns.env.Now(), next: next}
}

// powerOff drops everything at once. A node that was still installing has
// no config on disk afterwards.
func (n *node) powerOff() {
	n.mu.Lock()
	n.mode, n.phase = ModeOff, phase{}
	n.kubeletSince = time.Time{}
	n.rebootPending, n.bootstrap = false, nil
	if !n.installed {
		n.cfg, n.f = nil, facts{}
	}
	n.mu.Unlock()
	n.stopServer(true)
	n.stopEtcd(true)
	n.syncKube()
}

// shutdown is Close's stop: quick and complete.
func (n *node) shutdown() {
	n.stopServer(true)
	n.stopEtcd(true)
}

// Mode reports the node's mode.
func (n *node) Mode() Mode {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.mode
}

// advance moves the node's state machine on: one call per loop tick.
func (n *node) advance() {
	n.mu.Lock()
	ph := n.phase
	// A graceful reset finishes only once the node has left etcd.
	due := ph.op != "" && n.ns.env.Done(ph.since, ph.op, n.key()) && !n.gracefulLeave
	n.mu.Unlock()
	if due {
		n.finish(ph)
	}
	n.checkTry()
	// apid first: a node whose mode just changed answers as soon as it
	// can; its resources follow within the tick (a reader in between sees
	// the previous tick's, as on a node still booting).
	n.syncServer()
	n.syncResources()
	n.syncEtcd()
	n.syncKube()
}

// finish ends a timed phase.
func (n *node) finish(ph phase) {
	if ph.op == simcore.OpTalosReset {
		n.finishReset()
	}
	switch ph.next {
	case ModeConfigured:
		if ph.op == simcore.OpTalosInstall && !n.pullInstaller() {
			return
		}
		n.comeUp()
	case ModeMaintenance, ModeOff:
		n.settle(ph)
	}
}

// finishReset applies a reset's wipes: STATE takes the config with it,
// EPHEMERAL the etcd data.
func (n *node) finishReset() {
	n.mu.Lock()
	wipeEtcd, wipeState := n.wipeEtcd, n.wipeState
	n.wipeEtcd, n.wipeState = false, false
	if wipeState {
		n.installed, n.staged = false, nil
	}
	n.mu.Unlock()
	n.stopEtcd(true)
	if wipeEtcd {
		n.async(func(context.Context) { n.wipe() })
	}
}

// settle ends in maintenance (no config) or powered off.
func (n *node) settle(ph phase) {
	n.mu.Lock()
	if n.phase != ph {
		n.mu.Unlock()
		return
	}
	n.mode, n.phase = ph.next, phase{}
	n.kubeletSince = time.Time{}
	if ph.next == ModeMaintenance || !n.installed {
		n.cfg, n.f, n.installed = nil, facts{}, false
	}
	hook := ph.next == ModeOff && n.ns.OnPowerOff != nil
	cidr := n.vm.IPCIDR
	n.mu.Unlock()
	if hook {
		n.ns.OnPowerOff(cidr)
	}
}

// comeUp brings a node with a config up: a staged config becomes active,
// apid gets its certificate (a worker's from a control plane, as trustd
// signs it) and the kubelet starts. Without a certificate the node stays
// where it is and the loop tries again.
func (n *node) comeUp() {
	n.mu.Lock()
	if n.staged != nil {
		n.cfg, n.f, n.staged = n.staged, factsOf(n.staged, n.ip, n.vm.Name), nil
	}
	f := n.f
	n.mu.Unlock()
	cert, err := n.ns.issueAPICert(f, n.ip)
	if err != nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cert = cert
	n.installed = true
	n.mode, n.phase = ModeConfigured, phase{}
	n.rebootPending, n.etcdLeft = false, false
	n.kubeletSince = n.ns.env.Now()
}

// down reports whether a reboot or reset has passed its shutdown part.
func (n *node) down() bool {
	if n.mode != ModeRebooting && n.mode != ModeResetting {
		return false
	}
	d := n.ns.env.Delay(n.phase.op, n.key()) / shutdownShare
	return n.ns.env.Now().After(n.phase.since.Add(d)) || d == 0
}

// startPhase begins a reboot or reset.
func (n *node) startPhase(mode Mode, op simcore.Op, next Mode) {
	n.mode = mode
	n.phase = phase{op: op, since: n.ns.env.Now(), next: next}
	n.kubeletSince = time.Time{}
	// The kernel restarts once the shutdown part is over; counting from
	// the start of it is close enough for uptime and counters.
	n.bootedAt = n.phase.since
}

// spot is where the node stands in the simulated network, for Env.Reach.
func (n *node) spot() simcore.Spot {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.spotLocked()
}

// spotLocked is spot with n.mu held.
func (n *node) spotLocked() simcore.Spot {
	return simcore.Spot{Placement: n.vm.Placement, Side: simcore.SidePrivate, Address: n.ip}
}
