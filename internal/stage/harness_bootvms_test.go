package stage

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// bootVMs stands in for the vms stage, to test the Talos stages alone: it
// boots each VM of the layout straight in the Talos simulator, as a started
// Proxmox VM would, and plans the start in a dry run.
type bootVMs struct{ tw *testWorld }

func (b *bootVMs) Name() string { return VMs }

func (b *bootVMs) Targets() []run.Target {
	return b.tw.Env.vmTargets(func(inventory.VMPlan) []run.Key { return nil })
}

func (b *bootVMs) Run(ctx context.Context, st *run.Step) error {
	vm, err := b.tw.Env.talosVM(st.Key.Target)
	if err != nil {
		return err
	}
	for _, n := range b.tw.World.Talos.State().Nodes {
		if n.Address == vm.Address.String() {
			st.Skip("VM %s runs", vm.Name)
			return nil
		}
	}
	return st.Mutate(ctx, run.Mutation{API: "proxmox", Verb: "start", Object: "VM " + vm.Name}, func(context.Context) error {
		b.tw.World.Talos.Boot(b.tw.vmInfo(vm))
		return nil
	})
}

func (tw *testWorld) vmInfo(vm inventory.VMPlan) simcore.VMInfo {
	c := tw.Env.Cluster()
	h, _ := tw.Env.Layout().Host(vm.Host)
	return simcore.VMInfo{VMID: vm.VMID, Name: vm.Name, Node: vm.Host, Placement: h.Placement, Cores: vm.Cores,
		MemoryMiB: int(vm.Memory >> 20), DiskBytes: int64(vm.Disk),
		IPCIDR: fmt.Sprintf("%s/%d", vm.Address, c.Network.Subnet.Bits()), Gateway: vm.Gateway.String()}
}

// standInNAT stands in for the Proxmox hosts these tests do not build: a
// layout host's private address (each VM's gateway) is held by a host that
// forwards and masquerades the subnet out of vmbr0, as the network stage's
// hook configures it. Without it no node would get out, and apply would
// rightly stop every one of them.
func (tw *testWorld) standInNAT(address string) (simcore.GatewayHost, bool) {
	subnet := tw.Env.Cluster().Network.Subnet.Masked()
	for _, h := range tw.Env.Layout().Hosts {
		if h.PrivateAddress.String() == address {
			return simcore.GatewayHost{Host: h.Name, Placement: h.Placement, Forwarding: true, Uplink: "vmbr0",
				Masquerade: []simcore.MasqueradeRule{{Source: subnet, Dest: subnet, NotDest: true, Out: "vmbr0"}}}, true
		}
	}
	return simcore.GatewayHost{}, false
}

// standInLinks says the stand-in hosts have their leg on the VLAN.
func (tw *testWorld) standInLinks(host, _ string) bool {
	_, ok := tw.Env.Layout().Host(host)
	return ok
}

// eventLog collects a run's events.
type eventLog struct {
	mu     sync.Mutex
	events []run.Event
}

func (l *eventLog) Emit(e run.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

// text is every event's text, for secret scans.
func (l *eventLog) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, e := range l.events {
		fmt.Fprintln(&b, e.Message, e.Error)
		if e.Mutation != nil {
			fmt.Fprintln(&b, e.Mutation.String())
		}
	}
	return b.String()
}

// talosRun runs the Talos stages (after the stand-in vms) against tw's
// world with env.
func (tw *testWorld) talosRun(env *Env, dryRun bool, sink run.Sink) (*run.Report, error) {
	tw.t.Helper()
	return tw.talosRunFacts(env, dryRun, sink, &run.Facts{})
}

// talosRunFacts is talosRun publishing into facts.
func (tw *testWorld) talosRunFacts(env *Env, dryRun bool, sink run.Sink, facts *run.Facts) (*run.Report, error) {
	tw.t.Helper()
	tw.World.Env.SetGateways(tw.standInNAT)
	tw.World.Env.SetHostLinks(tw.standInLinks)
	r := &run.Runner{Stages: []run.Stage{&bootVMs{tw}, &machineConfig{env}, &apply{env}, &bootstrap{env}, &health{env}},
		Pools: Pools, DryRun: dryRun, Sink: sink, Facts: facts}
	return r.Run(context.Background())
}

// stepsOf lists a report's steps of one stage with a status.
func stepsOf(rep *run.Report, stage string, status run.Status) []string {
	var out []string
	for _, s := range rep.Steps {
		if s.Key.Stage == stage && s.Status == status {
			out = append(out, s.Key.Target)
		}
	}
	slices.Sort(out)
	return out
}
