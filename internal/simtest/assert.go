package simtest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/run"
)

// Converged calls again, a run after the world has converged, and fails t
// unless that run sent the simulator no mutating request and went through
// the gate for nothing. what names the run in messages ("second up"). It
// returns the run's report and whether it converged. again checks the
// run's own errors.
func (w *World[E]) Converged(t testing.TB, what string, again func() *run.Report) (*run.Report, bool) {
	t.Helper()
	before := w.Sim.Env.Log.Snapshot()
	rep := again()
	after := w.Sim.Env.Log.Snapshot()
	ok := true
	if after.Mutating != before.Mutating {
		t.Errorf("%s made %d mutating requests; mutating routes now %v, before %v",
			what, after.Mutating-before.Mutating, after.MutatingRoutes(), before.MutatingRoutes())
		ok = false
	}
	if rep != nil {
		if ms := rep.Mutations(); len(ms) > 0 {
			t.Errorf("%s went through the gate: %v", what, ms)
			ok = false
		}
	}
	return rep, ok
}

// NoSecrets fails t for each secret (what it is -> its value) that appears
// in text, naming the secret and where, never the value.
func NoSecrets(t testing.TB, where, text string, secrets map[string]string) {
	t.Helper()
	for what, v := range secrets {
		if v != "" && strings.Contains(text, v) {
			t.Errorf("the %s appears in %s", what, where)
		}
	}
}

// CountDiff lists the keys whose counts differ, one "  key: a/b" line
// each, sorted; "" when a and b agree. Planned against sent requests, say.
func CountDiff(a, b map[string]int) string {
	keys := maps.Collect(maps.All(a))
	maps.Copy(keys, b)
	var lines []string
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if a[k] != b[k] {
			lines = append(lines, fmt.Sprintf("  %s: %d/%d", k, a[k], b[k]))
		}
	}
	return strings.Join(lines, "\n")
}

// Succeeded stops the test unless the run succeeded, listing every failed
// step with its status, error and reason.
func Succeeded(t testing.TB, rep *run.Report, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var lines []string
	if rep != nil {
		for _, s := range rep.Failed() {
			lines = append(lines, fmt.Sprintf("%s: %s: %v %s", s.Key, s.Status, s.Err, s.Reason))
		}
	}
	t.Fatalf("run failed: %v\n%s", err, strings.Join(lines, "\n"))
}
