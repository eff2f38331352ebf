package stage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/constants"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/retry"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/talos"
)

// nodeMode is how a node's Talos API answers.
type nodeMode int

const (
	nodeSilent      nodeMode = iota // not answering (booting, installing, rebooting)
	nodeMaintenance                 // insecure, waiting for a config
	nodeConfigured                  // mutual TLS with this cluster's CA
)

// probeNode asks vm's Talos API once: over mutual TLS with the cluster's
// CA first (a configured node, the common case on every run after the
// first), then insecurely (maintenance). A node that answers neither
// returns the error classified by the maintenance attempt.
func (e *Env) probeNode(ctx context.Context, vm inventory.VMPlan, dryRun bool) (nodeMode, error) {
	ctx, cancel := context.WithTimeout(ctx, e.Timing.Attempt(10*time.Second))
	defer cancel()
	secureErr := e.talosCall(ctx, dryRun, []string{vm.Address.String()}, func(ctx context.Context, c talosClient) error {
		_, err := c.Version(ctx)
		return err
	})
	if secureErr == nil {
		return nodeConfigured, nil
	}
	c, err := e.insecureTalos(ctx, vm)
	if err != nil {
		return nodeSilent, err
	}
	defer c.Close()
	if _, err := c.Version(ctx); err != nil {
		return nodeSilent, fmt.Errorf("no answer over mutual TLS (%v) nor in maintenance mode: %w", shortErr(secureErr), err)
	}
	return nodeMaintenance, nil
}

// waitNode waits until vm's Talos API answers in either mode, as the named
// condition "Talos API of <vm> at <ip>:50000". A dry run asks up to three
// times.
func (e *Env) waitNode(ctx context.Context, st *run.Step, vm inventory.VMPlan) (nodeMode, error) {
	var mode nodeMode
	check := func(ctx context.Context) (bool, string, error) {
		m, err := e.probeNode(ctx, vm, st.DryRun())
		mode = m
		return err == nil, "", err
	}
	if st.DryRun() {
		// A few quick asks, not a wait: a node that is booting is planned
		// as such, but one lost answer does not plan a first apply for a
		// node that runs its config.
		err := retry.Do(ctx, retry.Policy{Attempts: 3, Initial: e.Timing.Interval(time.Second), Classify: talos.Classify},
			func(ctx context.Context) error { _, _, err := check(ctx); return err })
		return mode, err
	}
	err := waitQuietly(ctx, "no answer yet", retry.Condition{
		Name:     fmt.Sprintf("Talos API of %s at %s:%d", vm.Name, vm.Address, constants.ApidPort),
		Interval: e.Timing.Interval(5 * time.Second), Timeout: e.Timing.Deadline(30 * time.Minute),
		Check: check, Classify: talos.Classify, Progress: func(s string) { st.Progress("%s: %s", vm.Name, s) },
	})
	return mode, err
}

// waitSecure waits until vm answers over mutual TLS with the cluster's CA:
// it has left maintenance, installed and booted with its config.
func (e *Env) waitSecure(ctx context.Context, st *run.Step, vm inventory.VMPlan) error {
	return waitQuietly(ctx, "installing and booting", retry.Condition{
		Name:     fmt.Sprintf("%s answering over mutual TLS with the cluster's CA", vm.Name),
		Interval: e.Timing.Interval(5 * time.Second), Timeout: e.Timing.Deadline(30 * time.Minute),
		Check: func(ctx context.Context) (bool, string, error) {
			ctx, cancel := context.WithTimeout(ctx, e.Timing.Attempt(10*time.Second))
			defer cancel()
			err := e.talosCall(ctx, false, []string{vm.Address.String()}, func(ctx context.Context, c talosClient) error {
				_, err := c.Version(ctx)
				return err
			})
			return err == nil, "", err
		},
		Classify: talos.Classify, Progress: func(s string) { st.Progress("%s: %s", vm.Name, s) },
	})
}

// dryRunApply asks the node what applying data in AUTO mode would do,
// changing nothing: the resolved mode, and whether the config differs from
// the one it runs ("No changes." is how machined reports an empty diff).
func dryRunApply(ctx context.Context, c talosClient, data []byte) (machine.ApplyConfigurationRequest_Mode, bool, error) {
	resp, err := c.ApplyConfiguration(ctx, &machine.ApplyConfigurationRequest{Data: data, Mode: machine.ApplyConfigurationRequest_AUTO, DryRun: true})
	if err != nil {
		return 0, false, err
	}
	if len(resp.GetMessages()) == 0 {
		return 0, false, fmt.Errorf("the dry-run apply returned no answer")
	}
	msg := resp.GetMessages()[0]
	return msg.GetMode(), strings.HasSuffix(strings.TrimSpace(msg.GetModeDetails()), "No changes."), nil
}

// waitQuietly is retry.Wait for a node that is expected not to answer for
// a while: a transient error shows as "<waiting> (<gRPC code>)" rather
// than a TLS handshake message per poll, and the last one is kept for the
// timeout's error.
func waitQuietly(ctx context.Context, waiting string, c retry.Condition) error {
	var last error
	check := c.Check
	c.Check = func(ctx context.Context) (bool, string, error) {
		done, status, err := check(ctx)
		if err != nil && talos.Classify(err).Class == retry.Transient {
			last = err
			return false, fmt.Sprintf("%s (%s)", waiting, talos.Code(err)), nil
		}
		return done, status, err
	}
	err := retry.Wait(ctx, c)
	if err != nil && last != nil {
		return fmt.Errorf("%w; last error: %v", err, last)
	}
	return err
}

// shortErr keeps the first line of an error for a status line.
func shortErr(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// waitRunning waits until vm runs data, as its own dry-run apply reports:
// after an apply that resolved to REBOOT the new config is active only once
// the node is back (until then the node refuses with FailedPrecondition, or
// does not answer).
func (e *Env) waitRunning(ctx context.Context, st *run.Step, vm inventory.VMPlan, data []byte) error {
	return waitQuietly(ctx, "rebooting", retry.Condition{
		Name:     fmt.Sprintf("%s rebooted into its new config", vm.Name),
		Interval: e.Timing.Interval(5 * time.Second), Timeout: e.Timing.Deadline(30 * time.Minute),
		Check: func(ctx context.Context) (bool, string, error) {
			ctx, cancel := context.WithTimeout(ctx, e.Timing.Attempt(10*time.Second))
			defer cancel()
			var same bool
			err := e.talosCall(ctx, false, []string{vm.Address.String()}, func(ctx context.Context, c talosClient) (err error) {
				_, same, err = dryRunApply(ctx, c, data)
				return err
			})
			if err == nil && !same {
				return false, "still running the previous config", nil
			}
			return same, "", err
		},
		Classify: talos.Classify, Progress: func(s string) { st.Progress("%s: %s", vm.Name, s) },
	})
}
