package stage

import (
	"testing"
	"time"

	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// talosFaults are the faults on the Talos API (Unavailable, hangs
// far longer than any attempt) with errors and hangs on the Kubernetes API
// the health stage polls; heavyFaults are six times as many, so every
// kind meets every step's calls.
const (
	talosFaults = "talos.unavailable=0.05;talos.hang=0.005;hang-for=1m;kube.5xx=0.05;kube.429=0.02;kube.hang=0.005"
	heavyFaults = "talos.unavailable=0.3;talos.hang=0.03;hang-for=1m;kube.5xx=0.3;kube.429=0.1;kube.hang=0.03"
)

// TestTalosStagesUnderFaults: under faults the Talos stages still bring
// lab.yaml to a healthy cluster, every hang cut well before it ends; etcd
// is bootstrapped once, on the first control plane; retries are counted;
// no secret shows in any event or error; and a second run under the same
// faults changes nothing.
func TestTalosStagesUnderFaults(t *testing.T) {
	for name, faults := range map[string]string{"issue": talosFaults, "heavy": heavyFaults} {
		t.Run(name, func(t *testing.T) {
			tw := newTestWorld(t, "../../inventories/lab.yaml", withProfile(simcore.Realistic, 0.0005), withFaults(faults), onVLAN)
			events := &eventLog{}
			start := time.Now()
			rep, err := tw.talosRun(tw.Env, false, events)
			mustSucceed(t, rep, err)
			t.Logf("faults injected: %v; retries: %v; in %s", tw.World.Env.Faults.Injected(), tw.Env.Retries, time.Since(start).Round(time.Millisecond))
			if time.Since(start) > time.Minute {
				t.Error("the run took longer than one hang: a hung call was waited out, not cut")
			}
			if n := tw.Env.Retries.Counts()["talos"]; n == 0 {
				t.Error("no Talos retry was counted under faults")
			}
			checkBootstrappedOnce(t, tw)
			checkEtcdWithTalosconfig(t, tw)
			checkNodesWithKubeconfig(t, tw, nil)
			checkNoSecrets(t, tw, events.text()+reportErrors(rep))
			checkQuietUnderFaults(t, tw)
		})
	}
}

// checkQuietUnderFaults: a run after convergence, under the same faults,
// sends no mutating request (a lost answer is never read as "missing").
func checkQuietUnderFaults(t *testing.T, tw *testWorld) {
	t.Helper()
	before := tw.World.Env.Log.Snapshot()
	rep, err := tw.talosRun(tw.fresh(), false, nil)
	mustSucceed(t, rep, err)
	if m := rep.Mutations(); len(m) != 0 {
		t.Errorf("second run made %d mutations: %v", len(m), m)
	}
	if after := tw.World.Env.Log.Snapshot(); after.Mutating != before.Mutating {
		t.Errorf("second run sent %d mutating requests: %v", after.Mutating-before.Mutating, after.MutatingRoutes())
	}
	checkBootstrappedOnce(t, tw)
}

// checkBootstrappedOnce: Bootstrap succeeded exactly once in the whole
// request log (a retry of one that landed answers AlreadyExists; faulted
// attempts never reached the handler), and etcd is one cluster with every
// control plane a healthy voter, so no second member was bootstrapped.
func checkBootstrappedOnce(t *testing.T, tw *testWorld) {
	t.Helper()
	r := tw.World.Env.Log.Snapshot().APIs[simcore.APITalos].Routes[bootstrapRoute]
	if r == nil || r.Statuses["OK"] != 1 {
		t.Fatalf("Bootstrap: %+v, want exactly one that succeeded", r)
	}
	for code := range r.Statuses {
		switch code {
		case "OK", "AlreadyExists", "Unavailable", "DeadlineExceeded", "Canceled":
		default:
			t.Errorf("Bootstrap answered %s: %+v", code, r.Statuses)
		}
	}
	members := tw.World.Talos.State().EtcdMembers
	healthy := 0
	for _, m := range members {
		if m.Healthy && !m.Learner {
			healthy++
		}
	}
	if n := len(tw.Env.Layout().ControlPlanes()); len(members) != n || healthy != n {
		t.Errorf("etcd members %+v, want %d healthy voters", members, n)
	}
}

// reportErrors is the text of every failed step's error.
func reportErrors(rep *run.Report) string {
	s := ""
	for _, st := range rep.Steps {
		if st.Err != nil {
			s += st.Err.Error() + "\n"
		}
	}
	return s
}
