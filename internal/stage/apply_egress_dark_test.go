package stage

import (
	"context"
	"testing"
	"time"

	"github.com/tripod-dev/tripod/internal/talos"
)

// With one AZ dark after up, the nodes of the other two keep their way out:
// each routes through its own host, so no other AZ's loss can cut it. Their
// clocks still sync, read through the hosts' SSH with machinery's COSI
// client; the dark AZ's nodes have no egress in the simulator.
func TestDarkAZLeavesTheOtherAZsTheirEgress(t *testing.T) {
	w := newPVEWorld(t, "../../inventories/lab.yaml")
	rep, err := w.run(w.Env, "", false)
	requirePVEClean(t, rep, err)
	const dark = "DC3"
	w.World.Env.Faults.SetDark(dark, true)
	defer w.World.Env.Faults.SetDark(dark, false)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	checked := 0
	for _, vm := range w.Env.Layout().VMs {
		h, _ := w.Env.Layout().Host(vm.Host)
		if h.Placement == dark {
			continue
		}
		c, err := w.Env.secureTalos(ctx, false, vm.Address.String())
		if err != nil {
			t.Fatal(err)
		}
		synced, err := talos.TimeSynced(ctx, c)
		c.Close()
		if err != nil || !synced {
			t.Errorf("%s (%s) with %s dark: synced %v, %v; want its clock synced through %s", vm.Name, h.Placement, dark, synced, err, vm.Host)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no node outside the dark AZ to check")
	}
	// The dark AZ's nodes lose their way out: the simulator's own view,
	// as nothing reaches them to ask.
	deadline := time.Now().Add(time.Minute)
	for {
		lost := 0
		for _, n := range w.World.Talos.State().Nodes {
			if n.Placement == dark && !n.TimeSynced {
				lost++
			}
		}
		if lost > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the nodes in %s kept their egress while dark", dark)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
