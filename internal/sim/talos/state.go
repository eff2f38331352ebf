package talos

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/tripod-dev/tripod/internal/sim/kube"
)

// State is the inspection view of every node, etcd member and cluster.
type State struct {
	Nodes       []NodeState       `json:"nodes"`
	EtcdMembers []EtcdMemberState `json:"etcd_members"`
	Clusters    []kube.State      `json:"clusters"`
}

// NodeState is one node.
type NodeState struct {
	Address      string `json:"address"`  // the node IP
	Endpoint     string `json:"endpoint"` // loopback address apid answers on, "" when it does not
	Mode         Mode   `json:"mode"`
	MachineType  string `json:"machine_type"`  // controlplane, worker; "" without a config
	ConfigSHA256 string `json:"config_sha256"` // of the applied config as sent, "" without one
	Hostname     string `json:"hostname"`
	VMName       string `json:"vm_name"`
	Placement    string `json:"placement"`
	Cluster      string `json:"cluster,omitempty"`       // cluster name from the config
	TimeSynced   bool   `json:"time_synced"`             // its TimeStatus: time servers reached through its route
	InstallError string `json:"install_error,omitempty"` // the install's last failed image pull
}

// EtcdMemberState is one control plane's etcd member.
type EtcdMemberState struct {
	Name    string `json:"name"`
	ID      string `json:"id"` // hex, as etcdctl prints it; "" before the member first ran
	PeerURL string `json:"peer_url"`
	Address string `json:"address"` // the node IP
	Running bool   `json:"running"`
	Learner bool   `json:"learner"`
	Healthy bool   `json:"healthy"` // running and following a running leader
}

// State returns the current view, nodes sorted by address.
func (ns *Nodes) State() State {
	st := State{Nodes: []NodeState{}, EtcdMembers: []EtcdMemberState{}, Clusters: []kube.State{}}
	running := map[uint64]bool{}
	for _, n := range ns.all() {
		n.mu.Lock()
		if n.member != nil && n.member.running() {
			running[n.member.id] = true
		}
		n.mu.Unlock()
	}
	for _, n := range ns.all() {
		st.Nodes = append(st.Nodes, n.state())
		if m, ok := n.memberState(running); ok {
			st.EtcdMembers = append(st.EtcdMembers, m)
		}
	}
	// The API servers' state probes etcd through ns, so not under ns.mu.
	for _, kc := range ns.kubeClusters() {
		st.Clusters = append(st.Clusters, kc.State())
	}
	return st
}

func (n *node) state() NodeState {
	n.mu.Lock()
	defer n.mu.Unlock()
	s := NodeState{Address: n.ip, Mode: n.mode, Hostname: n.f.hostname, VMName: n.vm.Name,
		Placement: n.vm.Placement, Cluster: n.f.clusterName, TimeSynced: n.timeSynced, InstallError: n.pullErr}
	if s.Hostname == "" {
		s.Hostname = n.vm.Name
	}
	if n.srv != nil {
		s.Endpoint, _ = n.ns.env.Net.Lookup(n.addr)
	}
	if n.cfg != nil {
		s.MachineType = n.f.machineType.String()
		if b, err := n.cfg.Bytes(); err == nil {
			sum := sha256.Sum256(b)
			s.ConfigSHA256 = hex.EncodeToString(sum[:])
		}
	}
	return s
}

func (n *node) memberState(running map[uint64]bool) (EtcdMemberState, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.etcd == nil {
		return EtcdMemberState{}, false
	}
	s := EtcdMemberState{Name: n.etcd.Name, PeerURL: "https://" + n.ip + ":2380", Address: n.ip}
	if m := n.member; m != nil && m.running() {
		s.ID = strconv.FormatUint(m.id, 16)
		s.Running = true
		s.Learner = n.joining || m.e.Server.IsLearner()
		s.Healthy = m.ready() && running[m.leader()]
	}
	return s, true
}

// AwaitMode waits until the node at address is in mode and, for the modes
// apid serves (maintenance, configured), until apid serves that mode: the
// mode changes first and apid restarts on the loop's next tick, so a call
// sent in between is refused, as one sent to a real node whose apid is
// restarting is.
func (ns *Nodes) AwaitMode(ctx context.Context, address string, mode Mode) error {
	return await(ctx, fmt.Sprintf("node %s %s", address, mode), func() bool {
		n := ns.byIP(address)
		if n == nil {
			return false
		}
		n.mu.Lock()
		defer n.mu.Unlock()
		served := mode != ModeMaintenance && mode != ModeConfigured || n.srvKind == mode
		return n.mode == mode && served
	})
}

// AwaitEtcdMembers waits until count etcd members are healthy voters.
func (ns *Nodes) AwaitEtcdMembers(ctx context.Context, count int) error {
	return await(ctx, fmt.Sprintf("etcd %d/%d members healthy", count, count), func() bool {
		healthy := 0
		for _, m := range ns.State().EtcdMembers {
			if m.Healthy && !m.Learner {
				healthy++
			}
		}
		return healthy == count
	})
}

func await(ctx context.Context, what string, cond func() bool) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-t.C:
		}
	}
	return nil
}
