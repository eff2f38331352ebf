package report

import (
	"testing"
	"time"

	"github.com/tripod-dev/tripod/internal/run"
)

func step(stage, target string, start, took int, needs ...run.Key) run.StepResult {
	t0 := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	return run.StepResult{Key: run.On(stage, target), Status: run.StatusChanged,
		Started: t0.Add(time.Duration(start) * time.Second), Duration: time.Duration(took) * time.Second, Needs: needs}
}

// TestCriticalPathFollowsTheNeedThatEndedLast: c needs a (ends at 5) and b
// (ends at 8), so the chain that ended last is b -> c, not a -> c; d ran
// alone and ended early; the blocked step never started.
func TestCriticalPathFollowsTheNeedThatEndedLast(t *testing.T) {
	a, b := step("s1", "a", 0, 5), step("s1", "b", 1, 7)
	c := step("s2", "c", 8, 4, a.Key, b.Key)
	d := step("s2", "d", 0, 2)
	blocked := run.StepResult{Key: run.On("s3", "e"), Status: run.StatusBlocked, Needs: []run.Key{c.Key}}
	got := CriticalPath([]run.StepResult{a, b, c, d, blocked})
	want := []run.Key{b.Key, c.Key}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("critical path %v, want %v", got, want)
	}
}
