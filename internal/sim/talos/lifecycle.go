package talos

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// bootstrapPlan is a Bootstrap call waiting for OpEtcdBootstrap.
type bootstrapPlan struct {
	Since    time.Time `json:"since"`
	Recover  bool      `json:"recover,omitempty"`
	SkipHash bool      `json:"skip_hash,omitempty"`
}

func (ns *Nodes) memberDir(mi *memberInfo) string { return filepath.Join(ns.dataDir, mi.Dir) }
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
	v.dark = n.ns.env.Faults.IsDark(n.vm.Placement)
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
	m, err := startMember(info, n.ns.memberDir(info), initialCluster, state, token, n.ns.memberLog(info))
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

// runBootstrap starts a new single-member cluster, restoring an uploaded
// snapshot into it for a recovery.
func (n *node) runBootstrap(ctx context.Context) {
	n.mu.Lock()
	plan, key := n.bootstrap, n.f.clusterKey
	n.mu.Unlock()
	if err := n.ensureInfo(); err != nil {
		n.logf("bootstrap: %v", err)
		return
	}
	n.mu.Lock()
	info := n.etcd
	n.mu.Unlock()
	_ = os.RemoveAll(n.ns.memberDir(info))
	token := fmt.Sprintf("talos-%s-%d", key, time.Now().UnixNano())
	m, err := n.start(ctx, info.Name+"="+info.peerURL(), "new", token)
	if err == nil {
		err = m.waitReady(ctx)
	}
	if err == nil && plan.Recover {
		err = restoreSnapshot(ctx, m.cli, n.ns.snapshotPath(n), plan.SkipHash)
	}
	if err != nil {
		n.logf("bootstrap of etcd failed: %v", err)
		return
	}
	if plan.Recover {
		_ = os.Remove(n.ns.snapshotPath(n))
	}
	n.mu.Lock()
	n.bootstrap = nil
	n.mu.Unlock()
	n.ns.markBootstrapped(key, n.ns.env.Now())
}

// joinEtcd adds the node to its cluster the way Talos does: as a learner
// through a healthy member, then started with the existing cluster, then
// promoted once it has caught up.
func (n *node) joinEtcd(ctx context.Context) {
	n.mu.Lock()
	f := n.f
	n.mu.Unlock()
	c, _ := n.ns.clusterFor(f)
	c.joinMu.Lock()
	defer c.joinMu.Unlock()
	if n.ns.env.Sleep(ctx, simcore.OpEtcdJoin, n.key()) != nil || !n.etcdView().up || !n.ns.etcdHealthy(f.clusterKey) {
		return
	}
	seed := n.ns.seed(f.clusterKey)
	if seed == nil || n.ensureInfo() != nil {
		return
	}
	n.mu.Lock()
	info := n.etcd
	n.mu.Unlock()
	id, members, err := addLearner(ctx, seed.cli, info.peerURL(), n.ns.etcdTimeout())
	if err != nil {
		n.logf("etcd member add failed: %v", err)
		return
	}
	var peers []string
	for _, m := range members {
		name := m.Name
		if m.ID == id {
			name = info.Name
		}
		if name != "" && len(m.PeerURLs) > 0 {
			peers = append(peers, name+"="+m.PeerURLs[0])
		}
	}
	_ = os.RemoveAll(n.ns.memberDir(info))
	n.setJoining(true)
	defer n.setJoining(false)
	if _, err := n.start(ctx, strings.Join(peers, ","), "existing", ""); err != nil {
		n.logf("etcd join failed: %v", err)
		rm, cancel := context.WithTimeout(ctx, n.ns.etcdTimeout())
		_, _ = seed.cli.MemberRemove(rm, id)
		cancel()
		return
	}
	promote(ctx, seed.cli, id)
}

// addLearner adds peerURL as a learner, or adopts the unstarted member an
// earlier attempt added (its reply may have been lost to a timeout).
func addLearner(ctx context.Context, cli *clientv3.Client, peerURL string, timeout time.Duration) (uint64, []*etcdserverpb.Member, error) {
	call, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	list, err := cli.MemberList(call)
	if err != nil {
		return 0, nil, err
	}
	for _, m := range list.Members {
		if len(m.PeerURLs) > 0 && m.PeerURLs[0] == peerURL && m.Name == "" {
			return m.ID, list.Members, nil
		}
	}
	resp, err := cli.MemberAddAsLearner(call, []string{peerURL})
	if err != nil {
		return 0, nil, err
	}
	return resp.Member.ID, resp.Members, nil
}

func (n *node) setJoining(v bool) {
	n.mu.Lock()
	n.joining = v
	n.mu.Unlock()
}

// promote retries until the learner is in sync with the leader.
func promote(ctx context.Context, cli *clientv3.Client, id uint64) {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		call, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := cli.MemberPromote(call, id)
		cancel()
		if err == nil || ctx.Err() != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// seed returns a running member of the cluster that has a leader.
func (ns *Nodes) seed(key string) *member {
	for _, m := range ns.members(key) {
		if m.leader() != 0 {
			return m
		}
	}
	return nil
}

// leave removes the node from its etcd cluster and wipes its data, as
// EtcdLeaveCluster and a graceful reset do.
func (n *node) leave(ctx context.Context) error {
	n.mu.Lock()
	m := n.member
	n.mu.Unlock()
	if m == nil {
		return errNotRunning()
	}
	call, cancel := context.WithTimeout(ctx, n.ns.etcdTimeout())
	_, err := m.cli.MemberRemove(clientv3.WithRequireLeader(call), m.id)
	cancel()
	if err != nil {
		return err
	}
	n.mu.Lock()
	n.etcdLeft, n.gracefulLeave = true, false
	n.mu.Unlock()
	n.wipe()
	return nil
}

// wipe stops etcd and removes its data directory: what wiping EPHEMERAL does.
func (n *node) wipe() {
	n.stopEtcd(true)
	n.mu.Lock()
	info, prev := n.etcd, n.lastMember
	n.etcd = nil
	n.mu.Unlock()
	if info == nil {
		return
	}
	if prev != nil {
		<-prev.closed
	}
	_ = os.RemoveAll(n.ns.memberDir(info))
}

func (n *node) logf(format string, args ...any) {
	n.ns.env.Log.Error(simcore.APITalos, "etcd", fmt.Sprintf("node %s: ", n.ip)+fmt.Sprintf(format, args...))
}
