package talos

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

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
