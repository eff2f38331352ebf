package talos

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/configloader"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// saved is the persisted form of Nodes. Etcd data itself stays in the data
// directory; only where to find it (names, directories, ports) is saved.
type saved struct {
	Version  int                  `json:"version"`
	Nodes    []savedNode          `json:"nodes"`
	Clusters map[string]time.Time `json:"clusters"` // cluster key -> etcd bootstrap time
}

type savedNode struct {
	VM            simcore.VMInfo `json:"vm"`
	Mode          Mode           `json:"mode"`
	PhaseOp       simcore.Op     `json:"phase_op,omitempty"`
	PhaseSince    time.Time      `json:"phase_since,omitzero"`
	PhaseNext     Mode           `json:"phase_next,omitempty"`
	Config        []byte         `json:"config,omitempty"`
	Staged        []byte         `json:"staged,omitempty"`
	Installed     bool           `json:"installed,omitempty"`
	RebootPending bool           `json:"reboot_pending,omitempty"`
	WipeEtcd      bool           `json:"wipe_etcd,omitempty"`
	WipeState     bool           `json:"wipe_state,omitempty"`
	GracefulLeave bool           `json:"graceful_leave,omitempty"`
	Etcd          *memberInfo    `json:"etcd,omitempty"`
	EtcdLeft      bool           `json:"etcd_left,omitempty"`
	Bootstrap     *bootstrapPlan `json:"bootstrap,omitempty"`
	KubeletSince  time.Time      `json:"kubelet_since,omitzero"`
}

// Save returns the nodes' configs, modes and timelines. A pending TRY
// rollback is not saved: the tried config stays.
func (ns *Nodes) Save() ([]byte, error) {
	s := saved{Version: 1, Clusters: map[string]time.Time{}}
	for _, n := range ns.all() {
		sn, err := n.save()
		if err != nil {
			return nil, err
		}
		s.Nodes = append(s.Nodes, sn)
	}
	ns.mu.Lock()
	for k, c := range ns.clusters {
		s.Clusters[k] = c.bootstrapped
	}
	ns.mu.Unlock()
	return json.MarshalIndent(s, "", "  ")
}

func (n *node) save() (savedNode, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	sn := savedNode{VM: n.vm, Mode: n.mode, PhaseOp: n.phase.op, PhaseSince: n.phase.since, PhaseNext: n.phase.next,
		Installed: n.installed, RebootPending: n.rebootPending, WipeEtcd: n.wipeEtcd, WipeState: n.wipeState,
		GracefulLeave: n.gracefulLeave, Etcd: n.etcd, EtcdLeft: n.etcdLeft, Bootstrap: n.bootstrap, KubeletSince: n.kubeletSince}
	var err error
	if n.cfg != nil {
		if sn.Config, err = n.cfg.Bytes(); err != nil {
			return sn, fmt.Errorf("failed to save the config of node %s: %w", n.ip, err)
		}
	}
	if n.staged != nil {
		if sn.Staged, err = n.staged.Bytes(); err != nil {
			return sn, fmt.Errorf("failed to save the staged config of node %s: %w", n.ip, err)
		}
	}
	return sn, nil
}

// Load restores what Save returned into an empty Nodes built with the same
// data directory: configured nodes come back serving, and control planes
// restart their etcd members from their data. Call it before any Boot.
func (ns *Nodes) Load(data []byte) error {
	var s saved
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("failed to read saved Talos nodes: %w", err)
	}
	if len(ns.all()) > 0 {
		return errors.New("load into a simulator that already has nodes")
	}
	var loaded []*node
	for _, sn := range s.Nodes {
		n, err := ns.restore(sn)
		if err != nil {
			return err
		}
		loaded = append(loaded, n)
	}
	ns.mu.Lock()
	for k, at := range s.Clusters {
		ns.clusters[k] = &cluster{key: k, bootstrapped: at}
	}
	ns.mu.Unlock()
	// Control planes first: a worker's apid certificate comes from one.
	for _, cp := range []bool{true, false} {
		for _, n := range loaded {
			if n.f.controlPlane() == cp {
				n.reissue()
			}
		}
	}
	ns.startLoop()
	return nil
}

func (ns *Nodes) restore(sn savedNode) (*node, error) {
	ip, err := ipOf(sn.VM.IPCIDR)
	if err != nil {
		return nil, err
	}
	n := newNode(ns, sn.VM, ip)
	n.mode, n.phase = sn.Mode, phase{op: sn.PhaseOp, since: sn.PhaseSince, next: sn.PhaseNext}
	n.installed, n.rebootPending, n.etcd, n.etcdLeft = sn.Installed, sn.RebootPending, sn.Etcd, sn.EtcdLeft
	n.wipeEtcd, n.wipeState, n.gracefulLeave = sn.WipeEtcd, sn.WipeState, sn.GracefulLeave
	n.bootstrap, n.kubeletSince = sn.Bootstrap, sn.KubeletSince
	if n.cfg, err = loadSaved(sn.Config); err != nil {
		return nil, fmt.Errorf("node %s: %w", ip, err)
	}
	if n.staged, err = loadSaved(sn.Staged); err != nil {
		return nil, fmt.Errorf("node %s: %w", ip, err)
	}
	if n.cfg != nil {
		n.f = factsOf(n.cfg, ip, sn.VM.Name)
	}
	ns.mu.Lock()
	ns.nodes[ip] = n
	ns.mu.Unlock()
	return n, nil
}

func loadSaved(b []byte) (config.Provider, error) {
	if len(b) == 0 {
		return nil, nil
	}
	return configloader.NewFromBytes(b)
}

// reissue gives a node that was serving mTLS its apid certificate again. A
// worker whose signer is not back goes through comeUp on the next tick.
func (n *node) reissue() {
	n.mu.Lock()
	serving := n.cfg != nil && (n.mode == ModeConfigured || n.mode == ModeRebooting || n.mode == ModeResetting)
	f := n.f
	n.mu.Unlock()
	if !serving {
		return
	}
	cert, err := n.ns.issueAPICert(f, n.ip)
	n.mu.Lock()
	defer n.mu.Unlock()
	if err == nil {
		n.cert = cert
		return
	}
	if n.mode == ModeConfigured {
		n.mode = ModeInstalling
		n.phase = phase{op: simcore.OpTalosInstall, since: time.Time{}, next: ModeConfigured}
	}
}
