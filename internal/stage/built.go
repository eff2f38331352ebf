package stage

import (
	"fmt"
	"strings"
	"sync"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
)

// BuiltRecorder records the cluster as built (inventory.Identity, in the
// state directory's built.json) piece by piece, as the step that builds
// each piece succeeds: a host's private network membership and bridge, the
// Proxmox cluster, a Ceph pool, a VM. Recording per step rather than at the
// end of the run means a run that fails half-way (or is killed) still
// protects what it did build; a piece is never recorded before its step has
// succeeded, so an edit to something not built yet stays free. It is a
// run.Sink: the runner emits a step's end before the steps that need it
// start. Only up records; a dry run builds nothing.
type BuiltRecorder struct {
	env *Env
	mu  sync.Mutex
	id  *inventory.Identity
	err error
}

// LoadBuilt reads the cluster as built from the state directory; found is
// false when nothing is recorded there.
func (e *Env) LoadBuilt() (id *inventory.Identity, found bool, err error) {
	id = inventory.NewIdentity(e.Cluster())
	found, err = e.State.ReadBuilt(id)
	return id, found, err
}

// NewBuiltRecorder starts from what is recorded. A worker the inventory no
// longer has stays recorded: up does not delete its VM, so it still runs
// with what it was built with.
func (e *Env) NewBuiltRecorder() (*BuiltRecorder, error) {
	id, _, err := e.LoadBuilt()
	if err != nil {
		return nil, err
	}
	return &BuiltRecorder{env: e, id: id}, nil
}

// Emit records what a successful step built.
func (r *BuiltRecorder) Emit(ev run.Event) {
	if ev.Kind != run.EventDone && ev.Kind != run.EventSkip {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.record(ev.Stage, ev.Target) {
		r.write()
	}
}

// record updates the identity for one step; it reports a change.
func (r *BuiltRecorder) record(stage, target string) bool {
	e, id := r.env, r.id
	c, l := e.Cluster(), e.Layout()
	switch stage {
	case Network:
		if strings.HasPrefix(target, privateTarget("")) { // a host is on the VLAN
			return id.RecordNetwork(c)
		}
		if h, ok := l.Host(target); ok { // its bridge carries its address
			return id.RecordNetwork(c) || id.RecordHost(h)
		}
	case PVECluster:
		return id.RecordProxmox(c)
	case Ceph:
		for _, p := range c.Ceph.Pools {
			if target == cephPoolID(p.Name) {
				return id.RecordPool(p)
			}
		}
	case VMs:
		for _, vm := range l.VMs {
			if vm.Name == target {
				return id.RecordVM(c, vm)
			}
		}
	}
	return false
}

func (r *BuiltRecorder) write() {
	if err := r.env.State.WriteBuilt(r.id); err != nil {
		if r.err == nil {
			r.err = fmt.Errorf("failed to record the cluster as built: %w", err)
		}
	}
}

// Err is the first failure to write the record, if any: the run built
// things the next edit check will not know of.
func (r *BuiltRecorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// ForgetBuilt records a successful tripod down: its VMs are gone, and with
// every server released, the whole cluster (an adopted server kept keeps
// its Proxmox cluster, network and Ceph).
func (e *Env) ForgetBuilt(o DownOptions) error {
	id, found, err := e.LoadBuilt()
	if err != nil || !found {
		return err
	}
	all := o.ReleaseServers
	for _, h := range e.Layout().Hosts {
		all = all && (h.AdoptServerID == "" || o.ReleaseAdopted)
	}
	if all {
		id = inventory.NewIdentity(e.Cluster())
	} else if !id.ForgetVMs() {
		return nil
	}
	return e.State.WriteBuilt(id)
}

// CheckBuilt compares the recorded cluster with the inventory: every edit a
// live cluster cannot take, as inventory.Problems (nil when none, or when
// nothing is recorded).
func (e *Env) CheckBuilt() error {
	id, found, err := e.LoadBuilt()
	if err != nil || !found {
		return err
	}
	if probs := e.Inv.CheckBuilt(id); len(probs) > 0 {
		return probs
	}
	return nil
}
