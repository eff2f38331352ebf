package stage

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/retry"
	"github.com/tripod-dev/tripod/internal/state"
)

// Env is what every stage shares for one run.
type Env struct {
	Inv     *inventory.Loaded
	State   *state.Dir
	Timing  retry.Timing
	Retries *retry.Counter
	Log     *slog.Logger
}

// Cluster is the inventory's cluster.
func (e *Env) Cluster() *inventory.Cluster { return e.Inv.Cluster }

// Layout is the inventory's deterministic plan.
func (e *Env) Layout() *inventory.Layout { return e.Inv.Layout }

// errNotImplemented marks a stage whose remote work is not built yet: the
// run says so instead of pretending.
var errNotImplemented = errors.New("not implemented yet")

func notImplemented(stage string) error {
	return fmt.Errorf("stage %s: %w", stage, errNotImplemented)
}
