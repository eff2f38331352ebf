package stage

import (
	"context"
	"fmt"
	"time"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/proxmox"
	"github.com/tripod-dev/tripod/internal/run"
)

// The stages of the az-loss drill's Proxmox side (tripod drill az-loss on
// real infrastructure).
const (
	DrillStopVMs  = "drill-stop-vms"
	DrillStartVMs = "drill-start-vms"
)

// DrillAZList is the run that stops the VMs of az carrying the cluster's VM
// tag (or, with start, starts them again): one target per host of the AZ,
// each VM's stop or start one mutation through the gate. A guest without
// the tag is never touched, whatever its name.
func DrillAZList(env *Env, az string, start bool) []run.Stage {
	return []run.Stage{&drillAZVMs{env: env, az: az, start: start}}
}

type drillAZVMs struct {
	env   *Env
	az    string
	start bool
}

func (s *drillAZVMs) Name() string {
	if s.start {
		return DrillStartVMs
	}
	return DrillStopVMs
}

func (s *drillAZVMs) Targets() []run.Target {
	var out []run.Target
	for _, t := range s.env.hostTargets(func(inventory.HostPlan) []run.Key { return nil }) {
		if t.Placement == s.az {
			out = append(out, t)
		}
	}
	return out
}

// Run observes the host's guests and stops (starts) each of ours that is
// not stopped (running) yet: a resumed drill does only what is left.
func (s *drillAZVMs) Run(ctx context.Context, st *run.Step) error {
	e, host := s.env, st.Key.Target
	guests, err := e.pveVMs(ctx, st, host)
	if err != nil {
		return fmt.Errorf("failed to list the VMs on %s: %w", host, err)
	}
	ours := map[string]bool{}
	for _, vm := range e.Layout().VMs {
		ours[vm.Name] = true
	}
	want, verb, task := "stopped", "stop", "qmstop"
	if s.start {
		want, verb, task = "running", "start", "qmstart"
	}
	changed := 0
	for _, g := range guests {
		if g.Node != host {
			continue
		}
		if !pveOurs(g, e.VMTag()) {
			if ours[g.Name] {
				st.Warn("VM %d (%s) on %s has one of this cluster's names but not its tag %s: left alone", g.VMID, g.Name, host, e.VMTag())
			}
			continue
		}
		if g.Status == want {
			continue
		}
		if err := s.setStatus(ctx, st, g, verb, task, want); !sentOrPlanned(err) {
			return err
		}
		changed++
	}
	if changed == 0 {
		st.Skip("every VM on %s with %s is %s", host, e.VMTag(), want)
	}
	return nil
}

// setStatus sends g's stop or start as one mutation and waits until the
// VM reports want.
func (s *drillAZVMs) setStatus(ctx context.Context, st *run.Step, g vmSeen, verb, task, want string) error {
	e := s.env
	c, err := e.node(st, g.Node).API()
	if err != nil {
		return err
	}
	path := fmt.Sprintf("/nodes/%s/qemu/%d/status", g.Node, g.VMID)
	landed := func(ctx context.Context) (bool, error) {
		cur, err := c.ReadMap(ctx, path+"/current")
		return cur["status"] == want, err
	}
	m := run.Mutation{Verb: verb, Object: fmt.Sprintf("VM %d %s on %s", g.VMID, g.Name, g.Node),
		Detail: "az-loss drill of " + s.az, Request: "POST /api2/json/nodes/{node}/qemu/{vmid}/status/" + verb}
	return e.pveSend(ctx, st, m, proxmox.Request{Client: c, Method: "POST", Path: path + "/" + verb,
		Task: &proxmox.TaskRef{Node: g.Node, Type: task, VMID: g.VMID}, Landed: landed, Wait: 5 * time.Minute})
}
