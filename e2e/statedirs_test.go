package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

const (
	dediboxOrderRoute = "POST /dedibox/v1/zones/{zone}/servers"
	refusalTail       = "; use that one, or adopt its servers with azs[].hosts[].adopt.serverID"
)

// dediboxOrders is how many Dedibox orders the simulator has served.
func (p *simProc) dediboxOrders() int {
	return p.requests().APIs["scaleway"].Routes[dediboxOrderRoute].Total
}

// refused reports whether a run's error output holds one of the refusals to
// act on a cluster another state directory manages or is ordering for.
func refused(r result) bool {
	return strings.Contains(r.stderr, "is managed from another state directory (id ") ||
		strings.Contains(r.stderr, "being delivered to this project and not this state directory's")
}

// TestSecondStateDirectoryIsRefused: lab's servers ordered from one state
// directory, `up` and `down --release-servers` from a second one refuse
// with one sentence naming the first, and send nothing.
func TestSecondStateDirectoryIsRefused(t *testing.T) {
	sim := startSim(t, "--profile", "realistic", "--time-scale", "0.0005", "--seed", "3")
	inv := "../inventories/lab.yaml"
	first, second := t.TempDir(), t.TempDir()
	if r := tripod(t, sim, "up", "-i", inv, "--state-dir", first, "--until", "servers"); r.code != 0 {
		t.Fatalf("up from the first state directory: exit %d\n%s", r.code, r.stderr)
	}
	id, err := os.ReadFile(filepath.Join(first, "state-id"))
	if err != nil {
		t.Fatal(err)
	}
	want := "cluster lab is managed from another state directory (id " + strings.TrimSpace(string(id)) + ", last seen "
	base := sim.requests().Mutating
	for _, args := range [][]string{
		{"up", "-i", inv, "--state-dir", second, "--until", "servers"},
		{"down", "-i", inv, "--state-dir", second, "--confirm", "lab", "--release-servers"},
	} {
		r := tripod(t, sim, args...)
		if r.code == 0 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, refusalTail) {
			t.Errorf("%s from a second state directory: exit %d, want the refusal %q...%q\n%s", args[0], r.code, want, refusalTail, r.stderr)
		}
	}
	if got := sim.requests(); got.Mutating != base {
		t.Errorf("the second state directory sent %d mutating requests: %v", got.Mutating-base, got.mutatingRoutes())
	}
	if n := sim.dediboxOrders(); n != 3 {
		t.Errorf("%d servers were ordered for 3 hosts", n)
	}
}

// TestTwoStateDirectoriesAtOnce: two processes, each with its own state
// directory, run `up --until servers` for lab at the same moment. Both may
// look before either has ordered (the window that stays open until state
// is shared); what must hold is that they never both carry on: at most 3
// orders, or at least one refuses.
func TestTwoStateDirectoriesAtOnce(t *testing.T) {
	sim := startSim(t, "--profile", "realistic", "--time-scale", "0.0005", "--seed", "4")
	inv := "../inventories/lab.yaml"
	var wg sync.WaitGroup
	results := make([]result, 2)
	start := make(chan struct{})
	for i := range results {
		dir := t.TempDir()
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = tripod(t, sim, "up", "-i", inv, "--state-dir", dir, "--until", "servers")
		}()
	}
	close(start)
	wg.Wait()
	orders, refusals := sim.dediboxOrders(), 0
	for i, r := range results {
		switch {
		case refused(r):
			refusals++
		case r.code != 0:
			t.Errorf("run %d failed otherwise: exit %d\n%s", i, r.code, r.stderr)
		}
	}
	t.Logf("%d orders for 3 hosts; %d of 2 runs refused", orders, refusals)
	if refusals == 0 {
		t.Fatalf("two state directories both carried on (%d orders)", orders)
	}
}
