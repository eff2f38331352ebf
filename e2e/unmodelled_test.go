package e2e

import (
	"testing"
)

// unmodelled is the /requests list of what the simulator answered 501 (or
// gRPC Unimplemented) because it does not model it.
type unmodelled struct {
	Unmodelled *[]struct {
		API     string `json:"api"`
		Request string `json:"request"`
		Count   int    `json:"count"`
	} `json:"unmodelled"`
}

// requireNothingUnmodelled fails the test when anything tripod or the
// operator's tools asked so far got a 501 for a route the simulator does
// not model: a rehearsal that needs one says nothing about the real run.
func requireNothingUnmodelled(t *testing.T, sim *simProc, after string) {
	t.Helper()
	var u unmodelled
	sim.getJSON("/requests", &u)
	if u.Unmodelled == nil {
		t.Fatalf("the simulator's /requests has no unmodelled list")
	}
	for _, r := range *u.Unmodelled {
		t.Errorf("after %s: %s answered 501 for %s (%d times)", after, r.API, r.Request, r.Count)
	}
}

// statusPlanDown runs status, plan (nothing to do) and a full down with the
// servers released on a cluster that is up, each answering with no 501.
func statusPlanDown(t *testing.T, sim *simProc, file, dir, name string) {
	t.Helper()
	if r := tripod(t, sim, "status", "-i", file, "--state-dir", dir); r.code != 0 {
		t.Errorf("status: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := tripod(t, sim, "plan", "-i", file, "--state-dir", dir, "--detailed-exitcode"); r.code != 0 {
		t.Errorf("plan after up: exit %d, want 0 (nothing to do)\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	requireNothingUnmodelled(t, sim, "up, status and plan")
	if r := tripod(t, sim, "down", "-i", file, "--state-dir", dir, "--confirm", name, "--release-servers"); r.code != 0 {
		t.Errorf("down: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	requireNothingUnmodelled(t, sim, "down")
}
