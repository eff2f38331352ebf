package run

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Step is one stage's work on one target, as its Run sees it.
type Step struct {
	Key             Key
	r               *Runner
	upstreamPlanned bool

	mu        sync.Mutex
	mutations []Mutation
	planned   bool
	reason    string
}

// DryRun reports whether mutations are recorded instead of executed.
func (s *Step) DryRun() bool { return s.r.DryRun }

// UpstreamPlanned reports whether a step this one needs only planned its
// mutations (dry run): the state this step would observe does not exist yet,
// so it must plan as if starting from nothing. A Planner stage never needs
// it (the runner calls its Plan instead of Run); every stage of tripod's run
// that observes what its needs built is one.
func (s *Step) UpstreamPlanned() bool { return s.upstreamPlanned }

// Facts is the run's shared observations (server IDs, addresses),
// published by a step for the steps that need it; see Table.
func (s *Step) Facts() *Facts { return s.r.Facts }

// Await waits for the step at key, of a strictly earlier stage, to finish,
// and returns its status: a late-found need that only a rare path of this
// step has (a recovery that must ask another host), so that the common path
// does not wait on it. A key outside this run (not selected, or no such
// target) returns false at once. Awaiting only earlier stages cannot
// deadlock: needs never point to a later stage.
func (s *Step) Await(ctx context.Context, key Key) (Status, bool, error) {
	n := s.r.index[key]
	if n == nil {
		return "", false, nil
	}
	if s.r.order[key.Stage] >= s.r.order[s.Key.Stage] {
		return "", false, fmt.Errorf("internal error: %s awaits %s, which is not an earlier stage", s.Key, key)
	}
	select {
	case <-n.done:
		return n.res.Status, true, nil
	case <-ctx.Done():
		return "", false, ctx.Err()
	}
}

// Mutate is the one gate every remote change passes through. It records m,
// then runs fn, or, in a dry run, returns ErrPlanned without running it.
func (s *Step) Mutate(ctx context.Context, m Mutation, fn func(ctx context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	s.mutations = append(s.mutations, m)
	if s.r.DryRun {
		s.planned = true
	}
	s.mu.Unlock()
	if s.r.DryRun {
		s.emit(Event{Kind: EventPlanned, Message: m.String(), Mutation: &m})
		return ErrPlanned
	}
	s.emit(Event{Kind: EventMutation, Message: m.String(), Mutation: &m})
	s.r.Crash.Hit("before-call " + m.Verb)
	err := fn(ctx)
	s.r.Crash.Hit("after-call " + m.Verb)
	if err != nil {
		return fmt.Errorf("failed to %s %s: %w", m.Verb, m.Object, err)
	}
	return nil
}

// Skip records why the step had nothing to do ("server already delivered").
func (s *Step) Skip(format string, args ...any) {
	s.mu.Lock()
	s.reason = fmt.Sprintf(format, args...)
	s.mu.Unlock()
}

// Progress reports how a long step is going.
func (s *Step) Progress(format string, args ...any) {
	s.emit(Event{Kind: EventProgress, Message: fmt.Sprintf(format, args...)})
}

// Warn reports something an operator should know that does not fail the step.
func (s *Step) Warn(format string, args ...any) {
	s.emit(Event{Kind: EventWarn, Message: fmt.Sprintf(format, args...)})
}

// Acquire takes a place in a concurrency pool for part of a step (a call
// that contends for a Proxmox node's storage lock); release gives it back.
func (s *Step) Acquire(ctx context.Context, pool string) (release func(), err error) {
	return s.r.pools.acquire(ctx, pool)
}

func (s *Step) emit(e Event) {
	e.Time = s.r.now()
	e.Stage, e.Target = s.Key.Stage, s.Key.Target
	s.r.sink.Emit(e)
}

func (s *Step) result(err error, started time.Time) StepResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	res := StepResult{Key: s.Key, Started: started, Duration: s.r.now().Sub(started), Mutations: append([]Mutation(nil), s.mutations...), Reason: s.reason}
	switch {
	case err != nil && errors.Is(err, ErrPlanned):
		res.Status = StatusPlanned
	case err != nil && errors.Is(err, context.Canceled):
		res.Status, res.Err = StatusCanceled, err
	case err != nil:
		res.Status, res.Err = StatusFailed, err
	case s.planned:
		res.Status = StatusPlanned
	case len(s.mutations) > 0:
		res.Status = StatusChanged
	default:
		res.Status = StatusUnchanged
	}
	return res
}
