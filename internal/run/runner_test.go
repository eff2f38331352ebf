package run

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeStage runs fn per target; targets and needs are given literally.
type fakeStage struct {
	name    string
	targets []Target
	fn      func(ctx context.Context, s *Step) error
}

func (f *fakeStage) Name() string      { return f.name }
func (f *fakeStage) Targets() []Target { return f.targets }
func (f *fakeStage) Run(ctx context.Context, s *Step) error {
	if f.fn == nil {
		return nil
	}
	return f.fn(ctx, s)
}

func status(t *testing.T, rep *Report, stage, target string) Status {
	t.Helper()
	for _, s := range rep.Steps {
		if s.Key == (Key{stage, target}) {
			return s.Status
		}
	}
	t.Fatalf("no step %s/%s", stage, target)
	return ""
}

// TestTargetsPipeline proves a target moves on as soon as its own needs are
// met: b2 (needs a2) must run while a1 is still running. With a whole-stage
// barrier a1 would wait forever for b2 and the test would time out.
func TestTargetsPipeline(t *testing.T) {
	b2ran := make(chan struct{})
	a := &fakeStage{name: "a", targets: []Target{{ID: "1"}, {ID: "2"}}, fn: func(ctx context.Context, s *Step) error {
		if s.Key.Target == "1" {
			select {
			case <-b2ran:
			case <-time.After(10 * time.Second):
				return errors.New("b2 did not run while a1 was still running")
			}
		}
		return nil
	}}
	b := &fakeStage{name: "b", targets: []Target{{ID: "1", Needs: []Key{On("a", "1")}}, {ID: "2", Needs: []Key{On("a", "2")}}},
		fn: func(ctx context.Context, s *Step) error {
			if s.Key.Target == "2" {
				close(b2ran)
			}
			return nil
		}}
	rep, err := (&Runner{Stages: []Stage{a, b}}).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []Key{{"a", "1"}, {"b", "1"}, {"b", "2"}} {
		if st := status(t, rep, k.Stage, k.Target); st != StatusUnchanged {
			t.Errorf("%s: %s", k, st)
		}
	}
}

func TestAllWaitsForEveryTarget(t *testing.T) {
	var aDone atomic.Int32
	a := &fakeStage{name: "a", targets: []Target{{ID: "1"}, {ID: "2"}, {ID: "3"}}, fn: func(ctx context.Context, s *Step) error {
		time.Sleep(time.Duration(len(s.Key.Target)) * time.Millisecond)
		aDone.Add(1)
		return nil
	}}
	var seen int32
	b := &fakeStage{name: "b", targets: []Target{{ID: "x", Needs: []Key{All("a")}}}, fn: func(ctx context.Context, s *Step) error {
		seen = aDone.Load()
		return nil
	}}
	if _, err := (&Runner{Stages: []Stage{a, b}}).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if seen != 3 {
		t.Fatalf("b ran after %d of 3 a targets", seen)
	}
}

func TestFailureStaysWithItsTarget(t *testing.T) {
	boom := errors.New("out of stock")
	a := &fakeStage{name: "a", targets: []Target{{ID: "1"}, {ID: "2"}}, fn: func(ctx context.Context, s *Step) error {
		if s.Key.Target == "1" {
			return boom
		}
		return nil
	}}
	var ran []string
	var mu sync.Mutex
	b := &fakeStage{name: "b", targets: []Target{{ID: "1", Needs: []Key{On("a", "1")}}, {ID: "2", Needs: []Key{On("a", "2")}}},
		fn: func(ctx context.Context, s *Step) error {
			mu.Lock()
			ran = append(ran, s.Key.Target)
			mu.Unlock()
			return nil
		}}
	rep, err := (&Runner{Stages: []Stage{a, b}}).Run(context.Background())
	var se *StepError
	if !errors.As(err, &se) || se.Key != (Key{"a", "1"}) || !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	if status(t, rep, "b", "1") != StatusBlocked || status(t, rep, "b", "2") != StatusUnchanged {
		t.Fatalf("b1 %s b2 %s", status(t, rep, "b", "1"), status(t, rep, "b", "2"))
	}
	if strings.Join(ran, ",") != "2" {
		t.Fatalf("ran %v", ran)
	}
}

func TestCancellationStopsEverything(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	a := &fakeStage{name: "a", targets: []Target{{ID: "1"}}, fn: func(ctx context.Context, s *Step) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}}
	bRan := false
	b := &fakeStage{name: "b", targets: []Target{{ID: "1", Needs: []Key{All("a")}}}, fn: func(context.Context, *Step) error { bRan = true; return nil }}
	go func() { <-started; cancel() }()
	done := make(chan struct{})
	var rep *Report
	go func() { rep, _ = (&Runner{Stages: []Stage{a, b}}).Run(ctx); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop on cancellation")
	}
	if bRan || status(t, rep, "a", "1") != StatusCanceled || status(t, rep, "b", "1") == StatusUnchanged {
		t.Fatalf("bRan %v a %s b %s", bRan, status(t, rep, "a", "1"), status(t, rep, "b", "1"))
	}
}

// TestNothingToDoMakesNoMutation: a stage that observes and finds nothing
// calls no gate; one that finds a difference goes through it.
func TestNothingToDoMakesNoMutation(t *testing.T) {
	remote := map[string]bool{"1": true} // target 1 already exists remotely
	var sent []string
	st := &fakeStage{name: "a", targets: []Target{{ID: "1"}, {ID: "2"}}, fn: func(ctx context.Context, s *Step) error {
		if remote[s.Key.Target] {
			s.Skip("already exists")
			return nil
		}
		return s.Mutate(ctx, Mutation{API: "fake", Verb: "create", Object: s.Key.Target}, func(context.Context) error {
			sent = append(sent, s.Key.Target)
			return nil
		})
	}}
	var events []Event
	rep, err := (&Runner{Stages: []Stage{st}, Sink: SinkFunc(func(e Event) { events = append(events, e) })}).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if status(t, rep, "a", "1") != StatusUnchanged || status(t, rep, "a", "2") != StatusChanged || strings.Join(sent, ",") != "2" {
		t.Fatalf("statuses %s %s sent %v", status(t, rep, "a", "1"), status(t, rep, "a", "2"), sent)
	}
	var skip bool
	for _, e := range events {
		if e.Kind == EventSkip && e.Target == "1" && e.Message == "already exists" {
			skip = true
		}
	}
	if !skip {
		t.Error("no skip event with its reason")
	}
}

func TestDryRunRecordsWithoutExecuting(t *testing.T) {
	executed := false
	var downstreamSawPlan bool
	a := &fakeStage{name: "a", targets: []Target{{ID: "1"}}, fn: func(ctx context.Context, s *Step) error {
		return s.Mutate(ctx, Mutation{API: "scaleway", Verb: "order", Object: "server h1"}, func(context.Context) error { executed = true; return nil })
	}}
	b := &fakeStage{name: "b", targets: []Target{{ID: "1", Needs: []Key{On("a", "1")}}}, fn: func(ctx context.Context, s *Step) error {
		downstreamSawPlan = s.UpstreamPlanned()
		return s.Mutate(ctx, Mutation{API: "scaleway", Verb: "install", Object: "server h1"}, nil)
	}}
	rep, err := (&Runner{Stages: []Stage{a, b}, DryRun: true}).Run(context.Background())
	if err != nil || executed || !downstreamSawPlan {
		t.Fatalf("err %v executed %v downstream saw plan %v", err, executed, downstreamSawPlan)
	}
	ms := rep.Mutations()
	if len(ms) != 2 || ms[0].Verb != "order" || ms[1].Verb != "install" {
		t.Fatalf("planned %v", ms)
	}
}

func TestUntilAndPools(t *testing.T) {
	var cur, peak atomic.Int32
	a := &fakeStage{name: "a", targets: []Target{{ID: "1", Pools: []string{"join"}}, {ID: "2", Pools: []string{"join"}}, {ID: "3", Pools: []string{"join"}}},
		fn: func(ctx context.Context, s *Step) error {
			n := cur.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			time.Sleep(2 * time.Millisecond)
			cur.Add(-1)
			return nil
		}}
	bRan := false
	b := &fakeStage{name: "b", targets: []Target{{ID: "1"}}, fn: func(context.Context, *Step) error { bRan = true; return nil }}
	rep, err := (&Runner{Stages: []Stage{a, b}, Until: "a", Pools: func(string) int { return 1 }}).Run(context.Background())
	if err != nil || bRan || peak.Load() != 1 || len(rep.Stages) != 1 {
		t.Fatalf("err %v bRan %v peak %d stages %d", err, bRan, peak.Load(), len(rep.Stages))
	}
	if _, err := (&Runner{Stages: []Stage{a, b}, Until: "zz"}).Run(context.Background()); err == nil || !strings.Contains(err.Error(), "stages: a, b") {
		t.Fatalf("unknown until: %v", err)
	}
}

func TestBadGraphAndPanics(t *testing.T) {
	a := &fakeStage{name: "a", targets: []Target{{ID: "1", Needs: []Key{On("b", "1")}}}}
	b := &fakeStage{name: "b", targets: []Target{{ID: "1"}}}
	if _, err := (&Runner{Stages: []Stage{a, b}}).Run(context.Background()); err == nil || !strings.Contains(err.Error(), "not an earlier stage") {
		t.Fatalf("forward need: %v", err)
	}
	c := &fakeStage{name: "c", targets: []Target{{ID: "1", Needs: []Key{On("c", "2")}}, {ID: "2", Needs: []Key{On("c", "1")}}}}
	if _, err := (&Runner{Stages: []Stage{c}}).Run(context.Background()); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("cycle: %v", err)
	}
	within := &fakeStage{name: "w", targets: []Target{{ID: "init"}, {ID: "mon", Needs: []Key{On("w", "init")}}}}
	if _, err := (&Runner{Stages: []Stage{within}}).Run(context.Background()); err != nil {
		t.Fatalf("need within a stage: %v", err)
	}
	p := &fakeStage{name: "p", targets: []Target{{ID: "1"}}, fn: func(context.Context, *Step) error { panic("nil map") }}
	rep, err := (&Runner{Stages: []Stage{p}}).Run(context.Background())
	if err == nil || status(t, rep, "p", "1") != StatusFailed || !strings.Contains(err.Error(), "internal error") {
		t.Fatalf("panic: %v", err)
	}
}

// TestKeepObservingPastAnotherPlacement: in an observe-only run, a step in AZ
// "b" that failed blocks only what lives in "b"; a step in "a" and a
// cluster-wide step that need it still observe. A cluster-wide failure still
// blocks everything after it, and a run that acts blocks as before.
func TestKeepObservingPastAnotherPlacement(t *testing.T) {
	stages := func() []Stage {
		a := &fakeStage{name: "os", targets: []Target{{ID: "h1", Placement: "a"}, {ID: "h2", Placement: "b"}},
			fn: func(ctx context.Context, s *Step) error {
				if s.Key.Target == "h2" {
					return errors.New("h2 is dark")
				}
				return nil
			}}
		b := &fakeStage{name: "cluster", targets: []Target{
			{ID: "h1", Placement: "a", Needs: []Key{All("os")}},
			{ID: "h2", Placement: "b", Needs: []Key{On("os", "h2")}},
			{ID: "health", Needs: []Key{All("os")}},
		}}
		c := &fakeStage{name: "after", targets: []Target{{ID: "h1", Placement: "a", Needs: []Key{On("cluster", "h2")}}}}
		return []Stage{a, b, c}
	}
	rep, _ := (&Runner{Stages: stages(), DryRun: true, KeepObserving: true}).Run(context.Background())
	for k, want := range map[Key]Status{
		{"cluster", "h1"}: StatusUnchanged, {"cluster", "health"}: StatusUnchanged,
		{"cluster", "h2"}: StatusBlocked, {"after", "h1"}: StatusUnchanged,
	} {
		if got := status(t, rep, k.Stage, k.Target); got != want {
			t.Errorf("observe-only: %s is %s, want %s", k, got, want)
		}
	}
	rep, _ = (&Runner{Stages: stages(), KeepObserving: true}).Run(context.Background())
	if got := status(t, rep, "cluster", "h1"); got != StatusBlocked {
		t.Errorf("a run that acts: cluster/h1 is %s, want blocked", got)
	}
	// A cluster-wide failure blocks everything after it, also a cluster-wide
	// step that needs it only through a step with a placement.
	global := stages()
	global[0].(*fakeStage).targets = []Target{{ID: "h1", Placement: "a"}, {ID: "h2"}}
	global = append(global, &fakeStage{name: "last", targets: []Target{{ID: "all", Needs: []Key{On("after", "h1")}}}})
	global[2].(*fakeStage).targets[0].Needs = []Key{On("cluster", "h1")}
	rep, _ = (&Runner{Stages: global, DryRun: true, KeepObserving: true}).Run(context.Background())
	for _, k := range []Key{{"cluster", "h1"}, {"after", "h1"}, {"last", "all"}} {
		if got := status(t, rep, k.Stage, k.Target); got != StatusBlocked {
			t.Errorf("a cluster-wide failure: %s is %s, want blocked", k, got)
		}
	}
}

// TestAwaitWaitsForAnEarlierStageOnly: b/2 awaits a/1, which it does not
// need, and sees a/1's result only after a/1 finished; awaiting its own
// stage is refused, and a key outside the run returns at once.
func TestAwaitWaitsForAnEarlierStageOnly(t *testing.T) {
	var a1done atomic.Bool
	a := &fakeStage{name: "a", targets: []Target{{ID: "1"}, {ID: "2"}}, fn: func(ctx context.Context, s *Step) error {
		if s.Key.Target == "1" {
			time.Sleep(50 * time.Millisecond)
			a1done.Store(true)
			return errors.New("a1 broke")
		}
		return nil
	}}
	var got Status
	var found bool
	var sameStage, outside error
	var outsideFound bool
	b := &fakeStage{name: "b", targets: []Target{{ID: "2", Needs: []Key{On("a", "2")}}, {ID: "3"}},
		fn: func(ctx context.Context, s *Step) error {
			if s.Key.Target == "3" {
				_, _, sameStage = s.Await(ctx, On("b", "2"))
				_, outsideFound, outside = s.Await(ctx, On("c", "1"))
				return nil
			}
			var err error
			got, found, err = s.Await(ctx, On("a", "1"))
			if err == nil && !a1done.Load() {
				return errors.New("Await returned before a/1 finished")
			}
			return err
		}}
	rep, _ := (&Runner{Stages: []Stage{a, b}}).Run(context.Background())
	if st := status(t, rep, "b", "2"); st != StatusUnchanged {
		t.Fatalf("b/2 %s: %v", st, rep.Failed())
	}
	if !found || got != StatusFailed {
		t.Errorf("Await(a/1) = %q, %v; want failed, true", got, found)
	}
	if sameStage == nil || !strings.Contains(sameStage.Error(), "not an earlier stage") {
		t.Errorf("awaiting the same stage: %v", sameStage)
	}
	if outside != nil || outsideFound {
		t.Errorf("awaiting a key outside the run: %v, %v", outsideFound, outside)
	}
}

// plannerStage is a fakeStage that also plans from nothing.
type plannerStage struct {
	fakeStage
	plan func(ctx context.Context, s *Step) error
}

func (p *plannerStage) Plan(ctx context.Context, s *Step) error { return p.plan(ctx, s) }

// TestPlannerPlansFromNothing proves the runner calls a stage's Plan, not
// its Run, when a need only planned (there is nothing to observe), and Run
// otherwise, in a dry run too; a panic in Plan is that target's failure.
func TestPlannerPlansFromNothing(t *testing.T) {
	a := &fakeStage{name: "a", targets: []Target{{ID: "new"}, {ID: "old"}}, fn: func(ctx context.Context, s *Step) error {
		if s.Key.Target == "old" {
			return nil // observed: nothing to do
		}
		return s.Mutate(ctx, Mutation{API: "scaleway", Verb: "order", Object: "server " + s.Key.Target}, nil)
	}}
	var mu sync.Mutex
	ran := map[string]string{}
	note := func(how string) func(context.Context, *Step) error {
		return func(ctx context.Context, s *Step) error {
			mu.Lock()
			ran[s.Key.Target] = how
			mu.Unlock()
			if s.Key.Target == "boom" {
				panic("plan exploded")
			}
			return s.Mutate(ctx, Mutation{API: "proxmox", Verb: how, Object: "host " + s.Key.Target}, nil)
		}
	}
	b := &plannerStage{fakeStage: fakeStage{name: "b", targets: []Target{
		{ID: "new", Needs: []Key{On("a", "new")}}, {ID: "old", Needs: []Key{On("a", "old")}}, {ID: "boom", Needs: []Key{On("a", "new")}},
	}}}
	b.fn, b.plan = note("run"), note("plan")
	rep, err := (&Runner{Stages: []Stage{a, b}, DryRun: true}).Run(context.Background())
	if ran["new"] != "plan" || ran["old"] != "run" {
		t.Fatalf("b/new %q (want plan), b/old %q (want run)", ran["new"], ran["old"])
	}
	if status(t, rep, "b", "new") != StatusPlanned || status(t, rep, "b", "boom") != StatusFailed || err == nil || !strings.Contains(err.Error(), "plan exploded") {
		t.Fatalf("b/new %s, b/boom %s, err %v", status(t, rep, "b", "new"), status(t, rep, "b", "boom"), err)
	}
}
