package stage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
)

// scaleIn removes the VMs of this cluster that the layout no longer has:
// the workers a lower workers.count leaves over. It runs per host once the
// cluster is healthy with the layout's nodes, so the workloads of a removed
// worker have somewhere to go.
type scaleIn struct{ env *Env }

func (s *scaleIn) Name() string { return ScaleIn }

func (s *scaleIn) Targets() []run.Target {
	return s.env.hostTargets(func(h inventory.HostPlan) []run.Key {
		return []run.Key{run.On(Health, kubernetesTarget)}
	})
}

// Run finds the guests on the host that carry the cluster's VM tag but
// whose VM ID and name are both unknown to the layout (a guest matching one
// of them is the vms stage's to adopt or refuse), and removes each: cordon,
// drain and delete its Kubernetes node, then stop and delete the VM with its
// disks. A surplus control plane is refused before anything is touched:
// removing one means removing its etcd member, which tripod does not do.
func (s *scaleIn) Run(ctx context.Context, st *run.Step) error {
	e := s.env
	host := st.Key.Target
	if reached, err := reachedProxmox(e.State, host); err != nil {
		return err
	} else if !reached {
		st.Skip("tripod never reached Proxmox on %s: it has no VM there", host)
		return nil
	}
	guests, err := e.pveVMs(ctx, st, host)
	if err != nil {
		return fmt.Errorf("failed to list the VMs on %s: %w", host, err)
	}
	surplus := s.surplusVMs(guests, host)
	if len(surplus) == 0 {
		st.Skip("no VM of this cluster on %s is left over", host)
		return nil
	}
	for _, g := range surplus {
		if s.isControlPlane(g) {
			return fmt.Errorf("VM %d %s on %s carries %s but is not in the layout: it is a control plane, and tripod does not remove control planes (that needs its etcd member removed first); put it back in the inventory, or remove it by hand", g.VMID, g.Name, host, e.VMTag())
		}
	}
	hc, server, kerr := e.kubeClient()
	if kerr != nil && !st.DryRun() {
		return fmt.Errorf("cannot drain the surplus workers on %s: %w", host, kerr)
	}
	var planned bool
	for _, g := range surplus {
		err := s.removeWorker(ctx, st, kubeAPI{hc: hc, server: server}, kerr, g)
		switch {
		case errors.Is(err, run.ErrPlanned):
			planned = true
		case err != nil:
			return err
		}
	}
	if planned {
		return run.ErrPlanned
	}
	return nil
}

// surplusVMs are the guests on host with this cluster's tag whose VM ID and
// name the layout gives no VM, by VM ID.
func (s *scaleIn) surplusVMs(guests []vmSeen, host string) []vmSeen {
	e := s.env
	ids, names := map[int]bool{}, map[string]bool{}
	for _, vm := range e.Layout().VMs {
		ids[vm.VMID], names[vm.Name] = true, true
	}
	var out []vmSeen
	for _, g := range guests {
		if g.Node == host && pveOurs(g, e.VMTag()) && !ids[g.VMID] && !names[g.Name] {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, func(a, b vmSeen) int { return a.VMID - b.VMID })
	return out
}

// isControlPlane reports whether a guest of ours is a control plane, by its
// machine-type tag or, for a tag someone removed, its name.
func (s *scaleIn) isControlPlane(g vmSeen) bool {
	e := s.env
	return slices.Contains(g.Tags, string(inventory.ControlPlaneNode)) || strings.HasPrefix(g.Name, e.Cluster().Name+"-cp-")
}

// removeWorker takes a surplus worker out of Kubernetes, then deletes its
// VM. A dry run that cannot read the Kubernetes API (no kubeconfig yet)
// lists the node's cordon and deletion as they would be sent.
func (s *scaleIn) removeWorker(ctx context.Context, st *run.Step, k kubeAPI, kerr error, g vmSeen) error {
	e := s.env
	var err error
	if kerr == nil {
		err = s.removeNode(ctx, st, k, g.Name)
	} else {
		_ = st.Mutate(ctx, run.Mutation{API: "kube", Verb: "cordon", Object: "node " + g.Name, Detail: "the Kubernetes API could not be read: " + kerr.Error(), Request: reqNodeCordon}, nil)
		err = st.Mutate(ctx, run.Mutation{API: "kube", Verb: "delete", Object: "node " + g.Name, Request: reqNodeDelete}, nil)
	}
	if err != nil && !errors.Is(err, run.ErrPlanned) {
		return err
	}
	if derr := e.pveDestroyVM(ctx, st, g); derr != nil {
		return derr
	}
	return err
}
