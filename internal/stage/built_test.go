package stage

import (
	"context"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/run"
)

// TestBuiltIsRecordedAsBuilt: each piece of the cluster as built is
// recorded once the step that builds it has succeeded, never before: after
// the network, the hosts and the VLAN are; the gateway and VMs are not.
func TestBuiltIsRecordedAsBuilt(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml")
	rec, err := tw.Env.NewBuiltRecorder()
	if err != nil {
		t.Fatal(err)
	}
	r := &run.Runner{Stages: scwStages(tw.Env), Until: Network, Pools: Pools, Sink: rec, Facts: &run.Facts{}}
	rep, err := r.Run(context.Background())
	requireClean(t, rep, err)
	if err := rec.Err(); err != nil {
		t.Fatal(err)
	}
	id, found, err := tw.Env.LoadBuilt()
	if err != nil || !found {
		t.Fatalf("nothing recorded: %v", err)
	}
	if id.Network == nil || id.Network.VLAN != 120 || id.Network.Subnet.String() != "10.20.0.0/24" {
		t.Errorf("network as built: %+v", id.Network)
	}
	if id.Nodes != nil || len(id.VMs) > 0 || id.ProxmoxCluster != "" || len(id.Pools) > 0 {
		t.Errorf("recorded what was not built: %+v", id)
	}
	if len(id.Hosts) != 0 {
		t.Errorf("hosts recorded before their bridges exist: %v", id.Hosts) // the bridge targets are not in scwStages
	}
	// The record is what up checks an edit against.
	edited := *tw.Env.Inv
	c := *edited.Cluster
	c.Network.VLAN = 130
	edited.Cluster = &c
	env := tw.fresh()
	env.Inv = &edited
	if err := env.CheckBuilt(); err == nil || !strings.Contains(err.Error(), "network.vlan: cannot change from 120 to 130 on a live cluster") {
		t.Errorf("CheckBuilt: %v", err)
	}
}

// TestPreflightRefusesLiveVLANChange: a state directory with no record of
// the cluster (fresh, or not the one it was built from) and another VLAN:
// preflight observes the live RPNv2 group and refuses before any change;
// the network stage would have re-VLANed every host.
func TestPreflightRefusesLiveVLANChange(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml")
	rep, err := tw.runScw(tw.Env, Network, false)
	requireClean(t, rep, err)
	edited := *tw.Env.Inv
	c := *edited.Cluster
	c.Network.VLAN = 130
	edited.Cluster = &c
	env := tw.fresh()
	env.Inv = &edited
	before := tw.mutations()
	rep, err = tw.runScw(env, Network, false)
	if err == nil {
		t.Fatal("the run went through")
	}
	if n := tw.mutations() - before; n != 0 {
		t.Errorf("%d mutating requests: %v", n, tw.World.Env.Log.Snapshot().MutatingRoutes())
	}
	var msg string
	for _, s := range rep.Failed() {
		if s.Key.Stage == Preflight {
			msg = errString(s.Err)
		}
	}
	if !strings.Contains(msg, "network.vlan: cannot change from 120 to 130 on a live cluster: RPNv2 group tripod-lab already joins this cluster's servers") {
		t.Errorf("preflight: %q", msg)
	}
}
