package run

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tripod-dev/tripod/internal/crashpoint"
	"github.com/tripod-dev/tripod/internal/retry"
)

// Runner runs an ordered list of stages.
type Runner struct {
	Stages []Stage
	Until  string // stop after this stage (inclusive); "" runs them all
	DryRun bool
	// KeepObserving (observe-only runs: status) lets a step observe although
	// a need of it failed or was blocked, unless that need is cluster-wide or
	// in the step's own placement: one dark AZ must not make the other AZs'
	// state unknown. A run that acts never does this, since acting on top of
	// a failed need is what needs exist to prevent.
	KeepObserving bool
	Sink          Sink
	Facts         *Facts
	Now           func() time.Time
	// Pools sizes each concurrency pool by name; nil, or 0 for a pool,
	// leaves it DefaultPoolSize.
	Pools func(pool string) int
	// Crash is told the gate's crash points, and the waits of every step
	// through their context (crash tests only; nil ignores them).
	Crash crashpoint.Hook

	sink  *serialSink
	pools *pools
	calls callCounts
	// stagesStarted says which stages emitted stage-start.
	stagesMu      sync.Mutex
	stagesStarted map[string]bool
	index         map[Key]*node
	order         map[string]int
}

// node is one step in the run's graph.
type node struct {
	key   Key
	stage Stage
	tgt   Target
	done  chan struct{}
	res   StepResult
	// origin is the placement of the failure that made res fail or block:
	// its own for a failure, its blocker's origin for a blocked step.
	origin string
}

// Run executes every step up to Until and reports. The error joins every
// failed step's StepError; a failure never stops unrelated targets.
func (r *Runner) Run(ctx context.Context) (*Report, error) {
	r.sink = &serialSink{sink: r.Sink}
	r.calls.n, r.stagesStarted = nil, map[string]bool{}
	ctx = crashpoint.WithHook(ctx, r.Crash)
	r.pools = newPools(r.Pools)
	if r.Facts == nil {
		r.Facts = &Facts{}
	}
	stages, err := r.selected()
	if err != nil {
		return nil, err
	}
	nodes, byStage, err := graph(stages)
	if err != nil {
		return nil, err
	}
	r.index, r.order = map[Key]*node{}, map[string]int{}
	for i, st := range stages {
		r.order[st.Name()] = i
	}
	for _, n := range nodes {
		r.index[n.key] = n
	}
	var wg sync.WaitGroup
	for _, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(n.done)
			n.res = r.runNode(ctx, n, byStage)
		}()
	}
	wg.Wait()
	return r.report(stages, nodes, byStage)
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// StageNames lists the names of stages, in order.
func StageNames(stages []Stage) []string {
	out := make([]string, len(stages))
	for i, s := range stages {
		out[i] = s.Name()
	}
	return out
}

func (r *Runner) selected() ([]Stage, error) {
	seen := map[string]bool{}
	for _, s := range r.Stages {
		if seen[s.Name()] {
			return nil, fmt.Errorf("stage %q is listed twice", s.Name())
		}
		seen[s.Name()] = true
	}
	if r.Until == "" {
		return r.Stages, nil
	}
	for i, s := range r.Stages {
		if s.Name() == r.Until {
			return r.Stages[:i+1], nil
		}
	}
	return nil, fmt.Errorf("unknown stage %q for --until (stages: %s)", r.Until, strings.Join(StageNames(r.Stages), ", "))
}

// graph builds the steps and checks every need names a target (or all
// targets) of the same or an earlier stage, and that needs form no cycle.
func graph(stages []Stage) ([]*node, map[string][]*node, error) {
	var nodes []*node
	byStage := map[string][]*node{}
	index := map[Key]*node{}
	order := map[string]int{}
	for i, st := range stages {
		order[st.Name()] = i
		for _, t := range st.Targets() {
			k := Key{Stage: st.Name(), Target: t.ID}
			if _, dup := index[k]; dup {
				return nil, nil, fmt.Errorf("stage %s lists target %q twice", st.Name(), t.ID)
			}
			n := &node{key: k, stage: st, tgt: t, done: make(chan struct{})}
			index[k] = n
			nodes = append(nodes, n)
			byStage[st.Name()] = append(byStage[st.Name()], n)
		}
	}
	for _, n := range nodes {
		for _, need := range n.tgt.Needs {
			o, ok := order[need.Stage]
			if !ok || o > order[n.key.Stage] {
				return nil, nil, fmt.Errorf("%s needs %s, which is not an earlier stage", n.key, need)
			}
			if need.Target == AllTargets && need.Stage == n.key.Stage {
				return nil, nil, fmt.Errorf("%s needs all of its own stage", n.key)
			}
			if need.Target != AllTargets && index[need] == nil {
				return nil, nil, fmt.Errorf("%s needs %s, which is not a target", n.key, need)
			}
		}
	}
	if err := checkAcyclic(nodes, byStage); err != nil {
		return nil, nil, err
	}
	return nodes, byStage, nil
}

// checkAcyclic finds a cycle among needs (only possible within a stage).
func checkAcyclic(nodes []*node, byStage map[string][]*node) error {
	const (
		unseen = iota
		visiting
		finished
	)
	state := map[*node]int{}
	var visit func(n *node, path []string) error
	visit = func(n *node, path []string) error {
		switch state[n] {
		case visiting:
			return fmt.Errorf("needs form a cycle: %s", strings.Join(append(path, n.key.String()), " -> "))
		case finished:
			return nil
		}
		state[n] = visiting
		for _, dep := range needed(n, byStage) {
			if err := visit(dep, append(path, n.key.String())); err != nil {
				return err
			}
		}
		state[n] = finished
		return nil
	}
	for _, n := range nodes {
		if err := visit(n, nil); err != nil {
			return err
		}
	}
	return nil
}

func (r *Runner) runNode(ctx context.Context, n *node, byStage map[string][]*node) StepResult {
	s := &Step{Key: n.key, r: r}
	for _, dep := range needed(n, byStage) {
		select {
		case <-dep.done:
		case <-ctx.Done():
			return StepResult{Key: n.key, Status: StatusCanceled, Err: ctx.Err()}
		}
		switch dep.res.Status {
		case StatusPlanned:
			s.upstreamPlanned = true
		case StatusChanged, StatusUnchanged:
		default:
			if r.KeepObserving && r.DryRun && !sharesFate(dep.origin, n.tgt) {
				continue
			}
			n.origin = dep.origin
			reason := fmt.Sprintf("needs %s, which %s", dep.key, dep.res.Status)
			s.emit(Event{Kind: EventBlocked, Message: reason})
			return StepResult{Key: n.key, Status: StatusBlocked, Reason: reason, Err: errors.New(reason)}
		}
	}
	n.origin = n.tgt.Placement
	release, err := r.pools.acquireAll(ctx, n.tgt.Pools)
	if err != nil {
		return StepResult{Key: n.key, Status: StatusCanceled, Err: err}
	}
	defer release()
	r.stageStart(n.key.Stage)
	started := r.now()
	s.emit(Event{Kind: EventStart})
	err = runSafely(retry.WithObserver(ctx, stepObserver{s}), n.stage, s)
	res := s.result(err, started)
	switch res.Status {
	case StatusFailed, StatusCanceled:
		s.emit(Event{Kind: EventFail, Duration: res.Duration, Error: err.Error()})
	case StatusUnchanged:
		s.emit(Event{Kind: EventSkip, Duration: res.Duration, Message: res.Reason})
	default:
		s.emit(Event{Kind: EventDone, Duration: res.Duration, Message: res.Reason})
	}
	return res
}

// sharesFate reports whether a failure that started in placement origin
// leaves t unobservable: a cluster-wide failure (refused credentials, a
// failed preflight) does, and so does one in t's own placement. Following
// the origin through blocked steps keeps a cluster-wide step from observing
// on top of a cluster-wide failure two steps back.
func sharesFate(origin string, t Target) bool {
	return origin == "" || origin == t.Placement
}

// runSafely runs the step, through the stage's Plan when a need only
// planned and the stage is a Planner, and turns a stage's panic into that
// target's failure: one bad target must not take the whole run (and its
// journal writes) down.
func runSafely(ctx context.Context, st Stage, s *Step) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error in stage %s: %v", st.Name(), p)
		}
	}()
	if p, ok := st.(Planner); ok && s.upstreamPlanned {
		return p.Plan(ctx, s)
	}
	return st.Run(ctx, s)
}

func needed(n *node, byStage map[string][]*node) []*node {
	var out []*node
	for _, need := range n.tgt.Needs {
		for _, m := range byStage[need.Stage] {
			if need.Target == AllTargets || m.key.Target == need.Target {
				out = append(out, m)
			}
		}
	}
	return out
}

func (r *Runner) report(stages []Stage, nodes []*node, byStage map[string][]*node) (*Report, error) {
	rep := &Report{Calls: r.calls.snapshot()}
	for _, n := range nodes {
		for _, dep := range needed(n, byStage) {
			n.res.Needs = append(n.res.Needs, dep.key)
		}
	}
	var errs []error
	for _, st := range stages {
		t := StageTiming{Name: st.Name()}
		var end time.Time
		for _, n := range nodes {
			if n.key.Stage != st.Name() {
				continue
			}
			rep.Steps = append(rep.Steps, n.res)
			t.Steps++
			if n.res.Started.IsZero() {
				continue
			}
			if t.Start.IsZero() || n.res.Started.Before(t.Start) {
				t.Start = n.res.Started
			}
			if e := n.res.Started.Add(n.res.Duration); e.After(end) {
				end = e
			}
			if n.res.Status == StatusFailed || n.res.Status == StatusCanceled {
				errs = append(errs, &StepError{Key: n.key, Err: n.res.Err})
			}
		}
		if !t.Start.IsZero() {
			t.Duration = end.Sub(t.Start)
		}
		rep.Stages = append(rep.Stages, t)
	}
	return rep, errors.Join(errs...)
}
