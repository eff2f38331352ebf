package stage

import (
	"context"
	"fmt"

	pve "github.com/Telmate/proxmox-api-go/proxmox"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/proxmox"
	"github.com/tripod-dev/tripod/internal/run"
)

type vms struct{ env *Env }

func (s *vms) Name() string { return VMs }

// Targets: a VM needs its host in the cluster (a node holding guests cannot
// join), the ISO on its host, the bridge on its host and the pool its disk
// goes on.
func (s *vms) Targets() []run.Target {
	storage := s.env.Cluster().Proxmox.VMStorage
	return s.env.vmTargets(func(vm inventory.VMPlan) []run.Key {
		return []run.Key{
			run.On(PVECluster, vm.Host), run.On(Images, vm.Host), run.On(Network, vm.Host),
			run.On(Ceph, cephPoolID(storage)), run.On(Ceph, cephHealth),
		}
	})
}

// Run creates the VM with its layout ID and name on its planned host and
// starts it; a VM of ours that exists is adopted, its configuration set
// right where Proxmox allows it without data loss, and started if stopped.
// Guests that are not ours are never touched.
func (s *vms) Run(ctx context.Context, st *run.Step) error {
	e := s.env
	vm := e.vmPlan(st.Key.Target)
	create := run.Mutation{API: "proxmox", Verb: "create", Object: fmt.Sprintf("VM %d %s on %s", vm.VMID, vm.Name, vm.Host),
		Detail: fmt.Sprintf("%d cores, %s, %s disk on %s, %s", vm.Cores, vm.Memory, vm.Disk, e.Cluster().Proxmox.VMStorage, vm.Address)}
	start := run.Mutation{API: "proxmox", Verb: "start", Object: fmt.Sprintf("VM %d %s", vm.VMID, vm.Name)}
	if st.UpstreamPlanned() {
		_ = planOnly(ctx, st, create)
		return planOnly(ctx, st, start)
	}
	c, err := e.pveAPI(st, vm.Host)
	if err != nil {
		return err
	}
	seen, err := e.findVM(ctx, c, vm)
	if err != nil {
		return err
	}
	node := vm.Host
	if seen == nil {
		if err := e.createVM(ctx, st, c, vm, create); err != nil {
			return err
		}
	} else {
		node = seen.Node
		if node != vm.Host {
			st.Warn("VM %d %s runs on %s, the layout places it on %s; tripod does not migrate it", vm.VMID, vm.Name, node, vm.Host)
		}
		if c, err = e.pveAPI(st, node); err != nil {
			return err
		}
		if err := e.fixDrift(ctx, st, c, vm, node); err != nil {
			return err
		}
	}
	if seen == nil || seen.Status != "running" {
		err := st.Mutate(ctx, start, func(ctx context.Context) error {
			api, err := c.Typed(ctx)
			if err == nil {
				_, err = api.StartVm(ctx, vmRef(vm, node))
			}
			return err
		})
		if err != nil {
			return err
		}
	} else {
		st.Skip("VM %d %s exists on %s and runs", vm.VMID, vm.Name, node)
	}
	return e.publishVM(ctx, st, c, vm, node)
}

func (e *Env) vmPlan(name string) inventory.VMPlan {
	for _, vm := range e.Layout().VMs {
		if vm.Name == name {
			return vm
		}
	}
	return inventory.VMPlan{Name: name}
}

func vmRef(vm inventory.VMPlan, node string) *pve.VmRef {
	r := pve.NewVmRef(pve.GuestID(vm.VMID))
	r.SetNode(node)
	r.SetVmType(pve.GuestQemu)
	return r
}

// createVM creates the VM through Telmate, holding a place in the node's
// pool: creations contend for the node's storage lock.
func (e *Env) createVM(ctx context.Context, st *run.Step, c *proxmox.Client, vm inventory.VMPlan, m run.Mutation) error {
	cfg := e.vmConfig(vm)
	return st.Mutate(ctx, m, func(ctx context.Context) error {
		release, err := st.Acquire(ctx, "proxmox-node:"+vm.Host)
		if err != nil {
			return err
		}
		defer release()
		api, err := c.Typed(ctx)
		if err != nil {
			return err
		}
		if _, err := cfg.Create(ctx, api); err != nil {
			return fmt.Errorf("Telmate ConfigQemu.Create: %w", err)
		}
		return nil
	})
}

// publishVM reads back where the VM is and how it is wired, for the Talos
// stages.
func (e *Env) publishVM(ctx context.Context, st *run.Step, c *proxmox.Client, vm inventory.VMPlan, node string) error {
	if st.DryRun() {
		return nil
	}
	conf, err := e.pveMap(ctx, c, fmt.Sprintf("/nodes/%s/qemu/%d/config", node, vm.VMID))
	if err != nil {
		return err
	}
	cur, err := e.pveMap(ctx, c, fmt.Sprintf("/nodes/%s/qemu/%d/status/current", node, vm.VMID))
	if err != nil {
		return err
	}
	model, _ := splitProp(str(conf["net0"]))
	_, mac, _ := cutEq(model)
	st.Facts().Set(vmFactKey(vm.Name), VMFact{VMID: vm.VMID, Node: node, Address: vm.Address, MAC: mac, Running: cur["status"] == "running"})
	return nil
}
