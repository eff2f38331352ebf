package talos

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// bootstrapPlan is a Bootstrap call waiting for OpEtcdBootstrap.
type bootstrapPlan struct {
	Since    time.Time `json:"since"`
	Recover  bool      `json:"recover,omitempty"`
	SkipHash bool      `json:"skip_hash,omitempty"`
}

func (ns *Nodes) memberDir(mi *memberInfo) string { return filepath.Join(ns.dataDir, mi.Dir) }
func (ns *Nodes) memberPKI(mi *memberInfo) string {
	return filepath.Join(ns.dataDir, mi.Dir+".etcd.pki")
}
func (ns *Nodes) memberLog(mi *memberInfo) string {
	return filepath.Join(ns.dataDir, mi.Dir+".etcd.log")
}
func (ns *Nodes) snapshotPath(n *node) string {
	return filepath.Join(ns.dataDir, n.ip+".etcd.snapshot")
}

// etcdView is what syncEtcd decides from, read under the node's lock.
type etcdView struct {
	f                              facts
	up, running, stale, dark, data bool
	left, busy, bootstrapDue       bool
	leaveOnReset                   bool
}

func (n *node) etcdView() etcdView {
	n.mu.Lock()
	defer n.mu.Unlock()
	v := etcdView{f: n.f, busy: n.etcdBusy > 0, left: n.etcdLeft}
	v.up = n.mode == ModeConfigured || ((n.mode == ModeRebooting || n.mode == ModeResetting) && !n.down())
	v.running = n.member != nil && n.member.running()
	v.stale = n.member != nil && !v.running
	v.dark = !n.ns.env.Reachable(simcore.OnVLAN, n.spotLocked()) // its peers cannot reach it
	v.data = n.etcd != nil && hasData(n.ns.memberDir(n.etcd))
	v.bootstrapDue = n.bootstrap != nil && n.ns.env.Done(n.bootstrap.Since, simcore.OpEtcdBootstrap, n.key())
	v.leaveOnReset = n.mode == ModeResetting && n.gracefulLeave
	return v
}

// syncEtcd runs a control plane's etcd as its state asks: stopped when the
// node is down or its datacenter dark, restarted from its data when it is
// back, bootstrapped after Bootstrap, and joined to its cluster once a
// bootstrapped member is healthy.
func (n *node) syncEtcd() {
	v := n.etcdView()
	if v.busy {
		return
	}
	switch {
	case v.leaveOnReset && v.running:
		n.async(func(ctx context.Context) {
			if err := n.leave(ctx); err != nil {
				n.logf("graceful reset could not leave etcd: %v", err)
				n.mu.Lock()
				n.gracefulLeave = false
				n.mu.Unlock()
			}
		})
	case v.leaveOnReset:
		n.mu.Lock()
		n.gracefulLeave = false
		n.mu.Unlock()
	case v.stale:
		// Stopped by itself: removed from its cluster. It stays out until wiped.
		n.mu.Lock()
		n.etcdLeft = true
		n.mu.Unlock()
		n.stopEtcd(true)
	case !v.f.controlPlane() || !v.up:
		if v.running {
			n.stopEtcd(false)
		}
	case v.dark:
		if v.running {
			n.stopEtcd(true)
		}
	case v.running:
	case v.bootstrapDue:
		n.async(n.runBootstrap)
	case v.data && !v.left:
		n.async(n.restartEtcd)
	case !v.data && !v.left && n.ns.etcdHealthy(v.f.clusterKey):
		n.async(n.joinEtcd)
	}
}

// async runs an etcd operation with the node marked busy.
func (n *node) async(f func(ctx context.Context)) {
	n.mu.Lock()
	n.etcdBusy++
	n.mu.Unlock()
	if !n.ns.goAsync(func(ctx context.Context) {
		defer func() {
			n.mu.Lock()
			n.etcdBusy--
			n.mu.Unlock()
		}()
		f(ctx)
	}) {
		n.mu.Lock()
		n.etcdBusy--
		n.mu.Unlock()
	}
}

func (n *node) stopEtcd(hard bool) {
	n.mu.Lock()
	m := n.member
	n.member = nil
	if m != nil {
		n.lastMember = m
	}
	n.mu.Unlock()
	if m != nil {
		m.stop(n.ns.background, hard)
	}
}

// start runs etcd for the node's member info, once the previous run of
// the same member has let go of its ports.
func (n *node) start(ctx context.Context, initialCluster, state, token string) (*member, error) {
	n.mu.Lock()
	info, prev := n.etcd, n.lastMember
	n.mu.Unlock()
	if prev != nil {
		select {
		case <-prev.closed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err := os.MkdirAll(n.ns.dataDir, 0o700); err != nil {
		return nil, err
	}
	n.mu.Lock()
	ca, ip := n.f.etcdCA, n.ip
	n.mu.Unlock()
	pki, err := issueEtcdPKI(ca, n.ns.memberPKI(info), info.Name, ip)
	if err != nil {
		return nil, err
	}
	m, err := startMember(info, pki, n.ns.memberDir(info), initialCluster, state, token, n.ns.memberLog(info))
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	n.member = m
	n.mu.Unlock()
	return m, nil
}

// ensureInfo gives the node its member name, directory and ports. Other
// nodes are consulted without holding this node's lock.
func (n *node) ensureInfo() error {
	n.mu.Lock()
	have, hostname := n.etcd != nil, n.f.hostname
	n.mu.Unlock()
	if have {
		return nil
	}
	dir := hostname
	for _, o := range n.ns.all() {
		if o != n && o.etcdDirName() == dir {
			dir = hostname + "-" + n.ip
		}
	}
	mi, err := newMemberInfo(hostname, dir, n.ns.dataDir+"/"+n.ip, n.ns.reservedPorts(n))
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.etcd == nil {
		n.etcd = mi
	}
	return nil
}

// reservedPorts are the loopback ports other members own, running or not:
// a stopped member comes back on its ports, so nobody else may take them.
func (ns *Nodes) reservedPorts(skip *node) map[int]bool {
	out := map[int]bool{}
	for _, o := range ns.all() {
		if o == skip {
			continue
		}
		o.mu.Lock()
		for _, mi := range []*memberInfo{o.etcd, o.lastInfo()} {
			if mi != nil {
				out[mi.PeerPort], out[mi.ClientPort] = true, true
			}
		}
		o.mu.Unlock()
	}
	return out
}

func (n *node) lastInfo() *memberInfo {
	if n.lastMember == nil {
		return nil
	}
	return n.lastMember.info
}

func (n *node) etcdDirName() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.etcd == nil {
		return ""
	}
	return n.etcd.Dir
}

func (n *node) restartEtcd(ctx context.Context) {
	n.mu.Lock()
	info := n.etcd
	n.mu.Unlock()
	if _, err := n.start(ctx, info.Name+"="+info.peerURL(), "existing", ""); err != nil {
		n.logf("restart of etcd failed: %v", err)
	}
}

func (n *node) logf(format string, args ...any) {
	n.ns.env.Log.Error(simcore.APITalos, "etcd", fmt.Sprintf("node %s: ", n.ip)+fmt.Sprintf(format, args...))
}
