package stage

import (
	"context"
	"errors"

	"github.com/tripod-dev/tripod/internal/retry"
	"github.com/tripod-dev/tripod/internal/run"
)

// The dry-run plumbing the stages share. A dry run (plan, status, down
// --dry-run) is the same stages with every Step.Mutate recording instead of
// sending, and answering run.ErrPlanned. A step whose need only planned is
// planned from nothing by its stage's Plan method (run.Planner), which
// lists its mutations with planOnly.

// planOnly records ms, in order, where a dry run cannot reach what acting
// needs: a target that does not exist yet (a Plan method), or a login or
// download a plan does not make. It is called in dry runs only (the runner
// calls Plan only when a need was planned), so its action never runs. It
// returns what the last Mutate answered: run.ErrPlanned, or the context's
// error once the run is canceled; with no mutations, nil.
func planOnly(ctx context.Context, st *run.Step, ms ...run.Mutation) error {
	var err error
	for _, m := range ms {
		err = st.Mutate(ctx, m, func(context.Context) error {
			return errors.New("nothing to act on yet: an earlier step only planned what this needs")
		})
	}
	return err
}

// planned reports whether err is a dry run's run.ErrPlanned: the mutation
// was recorded, not sent, so what needed its result cannot be observed.
func planned(err error) bool { return errors.Is(err, run.ErrPlanned) }

// sentOrPlanned reports whether err is nil or a dry run's run.ErrPlanned: after a
// planned mutation a dry run goes on listing what the real run would send
// next, as if it had been sent.
func sentOrPlanned(err error) bool { return err == nil || planned(err) }

// checkOrWait waits for cond, or, in a dry run, checks it once: a plan does
// not wait, and a condition not met yet is what the step would wait for,
// given as its reason. It reports whether cond holds.
func checkOrWait(ctx context.Context, st *run.Step, cond retry.Condition) (bool, error) {
	if !st.DryRun() {
		err := retry.Wait(ctx, cond)
		return err == nil, err
	}
	ok, status, err := cond.Check(ctx)
	if err != nil || !ok {
		st.Skip("would wait for %s (now: %s)", cond.Name, orErr(status, err))
		return false, nil
	}
	return true, nil
}

// orErr is a check's status, or the first line of its error.
func orErr(status string, err error) string {
	if err != nil {
		return shortErr(err)
	}
	return status
}
