package stage

import (
	"context"
	"time"

	clientconfig "github.com/siderolabs/talos/pkg/machinery/client/config"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/retry"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/talos"
)

// talosProbe asks vm's Talos API how it answers (talos.Probe), with the
// run's dialer, retries and the cluster's talosconfig.
func (e *Env) talosProbe(vm inventory.VMPlan, dryRun bool) talos.Probe {
	return talos.Probe{
		Dial: e.Dialer.DialContext, Retries: e.talosRetries(),
		Config: func() (*clientconfig.Config, error) { return e.talosClientConfig(dryRun) },
		Name:   vm.Name, Address: vm.Address.String(),
	}
}

// waitNode waits until vm's Talos API answers in either mode. A dry run
// asks up to three times.
func (e *Env) waitNode(ctx context.Context, st *run.Step, vm inventory.VMPlan) (talos.Mode, error) {
	p := e.talosProbe(vm, st.DryRun())
	if st.DryRun() {
		// A few quick asks, not a wait: a node that is booting is planned
		// as such, but one lost answer does not plan a first apply for a
		// node that runs its config.
		var mode talos.Mode
		err := retry.Do(ctx, retry.Policy{Attempts: 3, Initial: e.Timing.Interval(time.Second), Classify: talos.Classify},
			func(ctx context.Context) (err error) { mode, err = p.Mode(ctx); return err })
		return mode, err
	}
	return p.WaitAnswer(ctx, vmProgress(st, vm))
}

// vmProgress reports a wait's status lines as st's progress, by vm's name.
func vmProgress(st *run.Step, vm inventory.VMPlan) talos.Progress {
	return func(s string) { st.Progress("%s: %s", vm.Name, s) }
}

// shortErr keeps the first line of an error for a status line.
func shortErr(err error) string { return talos.FirstLine(err) }
