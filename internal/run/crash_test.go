package run

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tripod-dev/tripod/internal/retry"
)

// TestCrashHookSeesTheGateAndTheWaits proves the runner's hook is told the
// gate's points around a call and, through the step's context, the points
// of a wait inside the call, and that a runner without one runs as before.
func TestCrashHookSeesTheGateAndTheWaits(t *testing.T) {
	var mu sync.Mutex
	var points []string
	hook := func(p string) { mu.Lock(); points = append(points, p); mu.Unlock() }
	a := &fakeStage{name: "a", targets: []Target{{ID: "1"}}, fn: func(ctx context.Context, s *Step) error {
		return s.Mutate(ctx, Mutation{API: "x", Verb: "create", Object: "thing"}, func(ctx context.Context) error {
			polls := 0
			return retry.Wait(ctx, retry.Condition{Name: "thing ready", Interval: time.Millisecond,
				Check: func(context.Context) (bool, string, error) { polls++; return polls > 1, "", nil }})
		})
	}}
	if _, err := (&Runner{Stages: []Stage{a}, Crash: hook}).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []string{"before-call create", "in-wait thing ready", "after-call create"}
	if !slices.Equal(points, want) {
		t.Fatalf("crash points %q, want %q", points, want)
	}
	if _, err := (&Runner{Stages: []Stage{a}}).Run(context.Background()); err != nil {
		t.Fatalf("without a hook: %v", err)
	}
}
