package talos

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"

	"github.com/siderolabs/talos/pkg/machinery/api/common"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Bootstrap checks in machined's order and schedules a new etcd cluster on
// this node after OpEtcdBootstrap.
func (a *machineAPI) Bootstrap(_ context.Context, req *machine.BootstrapRequest) (*machine.BootstrapResponse, error) {
	n := a.n
	n.mu.Lock()
	up, f, info, planned := n.mode == ModeConfigured, n.f, n.etcd, n.bootstrap != nil
	n.mu.Unlock()
	switch {
	case !up:
		return nil, status.Error(codes.FailedPrecondition, "bootstrap is not available yet")
	case f.machineType.String() == "unknown":
		return nil, status.Error(codes.Unimplemented, "machine type is not set, cannot use bootstrap API")
	case !f.controlPlane():
		return nil, status.Error(codes.Unimplemented, "bootstrap is only available on control plane nodes")
	case planned || (info != nil && hasData(n.ns.memberDir(info))) || n.ns.clusterHasData(f.clusterKey, n):
		return nil, status.Error(codes.AlreadyExists, "etcd data directory is not empty")
	}
	if req.RecoverEtcd {
		if err := checkSnapshot(n.ns.snapshotPath(n), req.RecoverSkipHashCheck); err != nil {
			return nil, err
		}
	}
	n.mu.Lock()
	n.bootstrap = &bootstrapPlan{Since: n.ns.env.Now(), Recover: req.RecoverEtcd, SkipHash: req.RecoverSkipHashCheck}
	n.etcdLeft = false
	n.mu.Unlock()
	return &machine.BootstrapResponse{Messages: []*machine.Bootstrap{{}}}, nil
}

func errNotRunning() error {
	return status.Error(codes.Unavailable, `connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:2379: connect: connection refused"`)
}

// localEtcd is the node's etcd client, as machined's NewLocalClient: the
// call fails the way dialing a stopped local etcd does.
func (n *node) localEtcd(api string) (*member, error) {
	if err := n.checkControlPlane(api); err != nil {
		return nil, err
	}
	n.mu.Lock()
	m := n.member
	n.mu.Unlock()
	if m == nil || !m.running() {
		return nil, errNotRunning()
	}
	return m, nil
}

// EtcdMemberList lists members with the addresses a real node reports
// (https://<node IP>:2380), requiring a leader unless query_local.
func (a *machineAPI) EtcdMemberList(ctx context.Context, req *machine.EtcdMemberListRequest) (*machine.EtcdMemberListResponse, error) {
	m, err := a.n.localEtcd("member list")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, a.n.ns.etcdTimeout())
	defer cancel()
	var opts []clientv3.OpOption
	if req.QueryLocal {
		opts = append(opts, clientv3.WithSerializable())
	}
	resp, err := m.cli.MemberList(clientv3.WithRequireLeader(ctx), opts...)
	if err != nil {
		return nil, err
	}
	urls := a.n.ns.urlMap()
	msg := &machine.EtcdMembers{}
	for _, mm := range resp.Members {
		msg.LegacyMembers = append(msg.LegacyMembers, mm.Name)
		msg.Members = append(msg.Members, &machine.EtcdMember{Id: mm.ID, Hostname: mm.Name, IsLearner: mm.IsLearner,
			PeerUrls: translate(mm.PeerURLs, urls), ClientUrls: translate(mm.ClientURLs, urls)})
	}
	return &machine.EtcdMemberListResponse{Messages: []*machine.EtcdMembers{msg}}, nil
}

// urlMap maps every member's loopback URLs to the ones its node would
// advertise.
func (ns *Nodes) urlMap() map[string]string {
	out := map[string]string{}
	for _, n := range ns.all() {
		n.mu.Lock()
		if n.etcd != nil {
			out[n.etcd.peerURL()] = "https://" + n.ip + ":2380"
			out[n.etcd.clientURL()] = "https://" + n.ip + ":2379"
		}
		n.mu.Unlock()
	}
	return out
}

func translate(in []string, urls map[string]string) []string {
	out := make([]string, 0, len(in))
	for _, u := range in {
		if t, ok := urls[u]; ok {
			u = t
		}
		out = append(out, u)
	}
	return out
}

// EtcdSnapshot streams a snapshot from the local member, hash included.
func (a *machineAPI) EtcdSnapshot(_ *machine.EtcdSnapshotRequest, srv grpc.ServerStreamingServer[common.Data]) error {
	m, err := a.n.localEtcd("etcd snapshot")
	if err != nil {
		return err
	}
	rc, err := m.cli.Snapshot(srv.Context())
	if err != nil {
		return err
	}
	defer rc.Close()
	buf := make([]byte, 64<<10)
	for {
		k, err := rc.Read(buf)
		if k > 0 {
			if err := srv.Send(&common.Data{Bytes: append([]byte(nil), buf[:k]...)}); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// EtcdRecover stores an uploaded snapshot for Bootstrap with recover_etcd.
func (a *machineAPI) EtcdRecover(srv grpc.ClientStreamingServer[common.Data, machine.EtcdRecoverResponse]) error {
	if err := a.n.checkControlPlane("etcd recover"); err != nil {
		return err
	}
	path := a.n.ns.snapshotPath(a.n)
	if err := os.MkdirAll(a.n.ns.dataDir, 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		f.Close()
		if !ok {
			os.Remove(path)
		}
	}()
	for {
		msg, err := srv.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if _, err := f.Write(msg.Bytes); err != nil {
			return err
		}
	}
	ok = true
	return srv.SendAndClose(&machine.EtcdRecoverResponse{Messages: []*machine.EtcdRecover{{}}})
}

// EtcdRemoveMemberByID removes another member, as for a node that is gone.
func (a *machineAPI) EtcdRemoveMemberByID(ctx context.Context, req *machine.EtcdRemoveMemberByIDRequest) (*machine.EtcdRemoveMemberByIDResponse, error) {
	m, err := a.n.localEtcd("etcd remove member")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, a.n.ns.etcdTimeout())
	defer cancel()
	if _, err := m.cli.MemberRemove(clientv3.WithRequireLeader(ctx), req.MemberId); err != nil {
		if strings.Contains(err.Error(), "member not found") {
			return nil, status.Errorf(codes.NotFound, "failed to remove member %d: %v", req.MemberId, err)
		}
		return nil, err
	}
	return &machine.EtcdRemoveMemberByIDResponse{Messages: []*machine.EtcdRemoveMemberByID{{}}}, nil
}

// EtcdLeaveCluster removes this node from etcd, stops it and wipes its data.
func (a *machineAPI) EtcdLeaveCluster(ctx context.Context, _ *machine.EtcdLeaveClusterRequest) (*machine.EtcdLeaveClusterResponse, error) {
	if _, err := a.n.localEtcd("etcd leave"); err != nil {
		return nil, err
	}
	if err := a.n.leave(ctx); err != nil {
		return nil, err
	}
	return &machine.EtcdLeaveClusterResponse{Messages: []*machine.EtcdLeaveCluster{{}}}, nil
}

// EtcdForfeitLeadership hands leadership to another voting member if this
// one leads; the reply names the new leader.
func (a *machineAPI) EtcdForfeitLeadership(ctx context.Context, _ *machine.EtcdForfeitLeadershipRequest) (*machine.EtcdForfeitLeadershipResponse, error) {
	m, err := a.n.localEtcd("etcd forfeit leadership")
	if err != nil {
		return nil, err
	}
	out := &machine.EtcdForfeitLeadership{}
	if m.leader() == m.id {
		ctx, cancel := context.WithTimeout(ctx, a.n.ns.etcdTimeout())
		defer cancel()
		list, err := m.cli.MemberList(ctx)
		if err != nil {
			return nil, err
		}
		for _, mm := range list.Members {
			if mm.ID != m.id && !mm.IsLearner && mm.Name != "" {
				if _, err := m.cli.MoveLeader(ctx, mm.ID); err != nil {
					return nil, err
				}
				out.Member = mm.Name
				break
			}
		}
	}
	return &machine.EtcdForfeitLeadershipResponse{Messages: []*machine.EtcdForfeitLeadership{out}}, nil
}

// EtcdStatus reports the local member's status.
func (a *machineAPI) EtcdStatus(ctx context.Context, _ *emptypb.Empty) (*machine.EtcdStatusResponse, error) {
	m, err := a.n.localEtcd("etcd status")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, a.n.ns.etcdTimeout())
	defer cancel()
	st, err := m.cli.Status(ctx, m.info.clientURL())
	if err != nil {
		return nil, err
	}
	return &machine.EtcdStatusResponse{Messages: []*machine.EtcdStatus{{MemberStatus: &machine.EtcdMemberStatus{
		MemberId: st.Header.MemberId, ProtocolVersion: st.Version, StorageVersion: st.StorageVersion,
		DbSize: st.DbSize, DbSizeInUse: st.DbSizeInUse, Leader: st.Leader, RaftIndex: st.RaftIndex,
		RaftTerm: st.RaftTerm, RaftAppliedIndex: st.RaftAppliedIndex, Errors: st.Errors, IsLearner: st.IsLearner,
	}}}}, nil
}
