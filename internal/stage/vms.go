package stage

import (
	"context"
	"errors"
	"fmt"
	"time"

	pve "github.com/Telmate/proxmox-api-go/proxmox"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/proxmox"
	"github.com/tripod-dev/tripod/internal/retry"
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
		needs := []run.Key{
			run.On(PVECluster, vm.Host), run.On(Images, vm.Host), run.On(Network, vm.Host),
			run.On(Ceph, cephPoolID(storage)), run.On(Ceph, cephHealth),
		}
		if s.env.Cluster().HostNAT() {
			// A VM pulls its installer image right after its first apply,
			// through its host's NAT.
			needs = append(needs, run.On(Network, egressTarget(vm.Host)))
		}
		return needs
	})
}

// Request templates of the vms stage.
const (
	reqVMCreate = "POST /api2/json/nodes/{node}/qemu"
	reqVMStart  = "POST /api2/json/nodes/{node}/qemu/{vmid}/status/start"
	reqVMConfig = "PUT /api2/json/nodes/{node}/qemu/{vmid}/config"
	reqVMResize = "PUT /api2/json/nodes/{node}/qemu/{vmid}/resize"
)

// Run creates the VM with its layout ID and name on its planned host and
// starts it; a VM of ours that exists is adopted, its configuration set
// right where Proxmox allows it without data loss, and started if stopped.
// Guests that are not ours are never touched.
func (s *vms) Run(ctx context.Context, st *run.Step) error {
	e := s.env
	vm := e.vmPlan(st.Key.Target)
	c, err := e.node(st, vm.Host).API()
	if err != nil {
		return err
	}
	seen, err := e.findVM(ctx, c, vm)
	if err != nil {
		return err
	}
	node := vm.Host
	if seen == nil {
		err = e.createVM(ctx, st, c, vm, e.vmCreateMutation(vm))
	} else {
		node = seen.Node
		if node != vm.Host {
			st.Warn("VM %d %s runs on %s, the layout places it on %s; tripod does not migrate it", vm.VMID, vm.Name, node, vm.Host)
		}
		if c, err = e.node(st, node).API(); err == nil {
			err = e.fixDrift(ctx, st, c, vm, node)
		}
	}
	if !sentOrPlanned(err) {
		return err
	}
	if seen != nil && seen.Status == "running" {
		st.Skip("VM %d %s exists on %s and runs", vm.VMID, vm.Name, node)
	} else if err := e.startVM(ctx, st, c, vm, node, vmStartMutation(vm)); err != nil {
		return err
	}
	return publishVM(ctx, st, c, vm, node)
}

// Plan lists the creation and start of a VM whose host is not ready yet.
func (s *vms) Plan(ctx context.Context, st *run.Step) error {
	vm := s.env.vmPlan(st.Key.Target)
	return planOnly(ctx, st, s.env.vmCreateMutation(vm), vmStartMutation(vm))
}

// vmCreateMutation is vm's creation on its planned host.
func (e *Env) vmCreateMutation(vm inventory.VMPlan) run.Mutation {
	return run.Mutation{API: "proxmox", Verb: "create", Object: fmt.Sprintf("VM %d %s on %s", vm.VMID, vm.Name, vm.Host),
		Detail: fmt.Sprintf("%d cores, %s, %s disk on %s, %s", vm.Cores, vm.Memory, vm.Disk, e.Cluster().Proxmox.VMStorage, vm.Address), Request: reqVMCreate}
}

// vmStartMutation is vm's start.
func vmStartMutation(vm inventory.VMPlan) run.Mutation {
	return run.Mutation{API: "proxmox", Verb: "start", Object: fmt.Sprintf("VM %d %s", vm.VMID, vm.Name), Request: reqVMStart}
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

// createVM creates the VM with the parameters Telmate renders for it,
// holding a place in the node's pool (creations contend for the node's
// storage lock). A create whose answer was lost is looked for before it is
// sent again: a VM with its ID and our tag is the one it made.
func (e *Env) createVM(ctx context.Context, st *run.Step, c *proxmox.Client, vm inventory.VMPlan, m run.Mutation) error {
	return st.Mutate(ctx, m, func(ctx context.Context) error {
		release, err := st.Acquire(ctx, "proxmox-node:"+vm.Host)
		if err != nil {
			return err
		}
		defer release()
		params, err := c.QemuCreateParams(ctx, e.vmConfig(vm))
		if err != nil {
			return err
		}
		exists := func(ctx context.Context) (bool, error) {
			seen, err := e.findVM(ctx, c, vm)
			return seen != nil, err
		}
		return e.node(st, vm.Host).Send(ctx, proxmox.Request{Client: c, Method: "POST", Path: "/nodes/" + vm.Host + "/qemu", Params: params,
			Task: &proxmox.TaskRef{Node: vm.Host, Type: "qmcreate", VMID: vm.VMID}, Landed: exists, Wait: 10 * time.Minute}, st.Progress)
	})
}

// startVM starts the VM. A start that fails in its task (QEMU exiting) is
// tried again a few times, the VM's state checked before each, because
// that is often passing (storage not yet answering); one that keeps
// failing, or that the API refuses, fails this VM with PVE's reason.
func (e *Env) startVM(ctx context.Context, st *run.Step, c *proxmox.Client, vm inventory.VMPlan, node string, m run.Mutation) error {
	path := fmt.Sprintf("/nodes/%s/qemu/%d/status", node, vm.VMID)
	running := func(ctx context.Context) (bool, error) {
		cur, err := c.ReadMap(ctx, path+"/current")
		return cur["status"] == "running", err
	}
	return st.Mutate(ctx, m, func(ctx context.Context) error {
		return retry.Do(ctx, retry.Policy{
			API: "proxmox", Attempts: 3, Initial: e.Timing.Interval(5 * time.Second), Counter: e.Retries,
			Classify: onlyFailedTasks,
			OnRetry: func(_ int, err error, _ time.Duration) {
				st.Progress("VM %d did not start (%v); trying again", vm.VMID, err)
			},
		}, func(ctx context.Context) error {
			if ok, err := running(ctx); err != nil || ok {
				return err
			}
			return e.node(st, node).Send(ctx, proxmox.Request{Client: c, Method: "POST", Path: path + "/start",
				Task: &proxmox.TaskRef{Node: node, Type: "qmstart", VMID: vm.VMID}, Landed: running, Wait: 5 * time.Minute}, st.Progress)
		})
	})
}

// publishVM reads back where the VM is and how it is wired, for the Talos
// stages.
func publishVM(ctx context.Context, st *run.Step, c *proxmox.Client, vm inventory.VMPlan, node string) error {
	if st.DryRun() {
		return nil
	}
	conf, err := c.ReadMap(ctx, fmt.Sprintf("/nodes/%s/qemu/%d/config", node, vm.VMID))
	if err != nil {
		return err
	}
	cur, err := c.ReadMap(ctx, fmt.Sprintf("/nodes/%s/qemu/%d/status/current", node, vm.VMID))
	if err != nil {
		return err
	}
	model, _ := splitProp(str(conf["net0"]))
	_, mac, _ := cutEq(model)
	factsOf(st).SetVM(vm.Name, VMFact{VMID: vm.VMID, Node: node, Address: vm.Address, MAC: mac, Running: cur["status"] == "running"})
	return nil
}

// onlyFailedTasks retries a failed task and nothing else.
func onlyFailedTasks(err error) retry.Decision {
	var te *proxmox.TaskError
	if errors.As(err, &te) {
		return retry.Decision{Class: retry.Transient}
	}
	return retry.Decision{Class: retry.Fatal}
}
