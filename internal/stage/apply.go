package stage

import (
	"context"
	"fmt"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/retry"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/talos"
)

type apply struct{ env *Env }

func (s *apply) Name() string { return Apply }

func (s *apply) Targets() []run.Target {
	return s.env.vmTargets(func(vm inventory.VMPlan) []run.Key {
		return []run.Key{run.On(VMs, vm.Name), run.On(MachineConfig, vm.Name)}
	})
}

// autoMode is the mode every apply sends, chosen rather than left to the
// request's zero value (REBOOT): it is talosctl apply-config's default, in
// maintenance it resolves to NO_REBOOT (nothing runs yet; the node installs
// and boots configured on its own), and on a configured node it reboots
// only when the change cannot be applied live.
const autoMode = machine.ApplyConfigurationRequest_AUTO

// Run waits for the node's API, then applies its config in maintenance
// mode, or compares it with the config the node runs (a dry-run apply,
// read-only) and applies only a difference, over mutual TLS.
func (s *apply) Run(ctx context.Context, st *run.Step) error {
	vm, err := s.env.talosVM(st.Key.Target)
	if err != nil {
		return err
	}
	cfg, err := s.env.nodeConfig(vm, st.DryRun())
	if err != nil {
		return err
	}
	first := firstApplyMutation(vm)
	mode, err := s.env.waitNode(ctx, st, vm)
	switch {
	case err != nil && st.DryRun():
		st.Warn("%s does not answer yet (%s); planning its first apply", vm.Name, shortErr(err))
		return planOnly(ctx, st, first)
	case err != nil:
		return err
	case mode == talos.Maintenance:
		// Without egress the install would retry its image pull forever:
		// fail now, with what to fix, and apply nothing.
		if err := s.env.requireEgress(ctx, st, vm); err != nil {
			return err
		}
		return s.applyMaintenance(ctx, st, vm, cfg.Bytes, first)
	}
	return s.reconcile(ctx, st, vm, cfg.Bytes)
}

// Plan lists the first apply of a node whose VM does not exist yet.
func (s *apply) Plan(ctx context.Context, st *run.Step) error {
	vm, err := s.env.talosVM(st.Key.Target)
	if err != nil {
		return err
	}
	return planOnly(ctx, st, firstApplyMutation(vm))
}

// firstApplyMutation is the apply of vm's first config, in maintenance mode.
func firstApplyMutation(vm inventory.VMPlan) run.Mutation {
	return run.Mutation{API: "talos", Verb: "apply", Object: fmt.Sprintf("machine config of %s (%s)", vm.Name, vm.Address),
		Detail:  "maintenance mode (insecure), mode AUTO; the node installs and boots configured",
		Request: machine.MachineService_ApplyConfiguration_FullMethodName}
}

// applyMaintenance sends the first config, then waits for the node to
// come back over mutual TLS. An attempt that failed may still have landed
// (cut on its way back, apid restarting under it), so every retry first
// looks at the node: configured means it landed; silent means it may be
// installing, so nothing is sent until it answers again; only a node still
// in maintenance mode gets the config again.
func (s *apply) applyMaintenance(ctx context.Context, st *run.Step, vm inventory.VMPlan, data []byte, m run.Mutation) error {
	err := st.Mutate(ctx, m, func(ctx context.Context) error {
		attempt := 0
		return retry.Do(ctx, s.env.talosPolicy(st, 30*time.Minute), func(ctx context.Context) error {
			if attempt++; attempt > 1 {
				switch mode, err := s.env.talosProbe(vm, false).Mode(ctx); mode {
				case talos.Configured:
					return nil
				case talos.Silent:
					return retry.MarkTransient(fmt.Errorf("%s does not answer, so whether its config landed is not known yet: %w", vm.Name, err), 0)
				}
			}
			c, err := s.env.insecureTalos(ctx, vm)
			if err != nil {
				return err
			}
			defer c.Close()
			resp, err := c.ApplyConfiguration(ctx, &machine.ApplyConfigurationRequest{Data: data, Mode: autoMode})
			if err == nil && len(resp.GetMessages()) > 0 {
				st.Progress("%s accepted its config (%s)", vm.Name, resp.GetMessages()[0].GetMode())
			}
			return err
		})
	})
	if err != nil {
		return err
	}
	return s.env.talosProbe(vm, false).WaitSecure(ctx, vmProgress(st, vm))
}

// reconcile compares the config with the one the node runs, through the
// node itself (not the journal), and applies a difference in AUTO mode,
// waiting for the reboot when the change needs one.
func (s *apply) reconcile(ctx context.Context, st *run.Step, vm inventory.VMPlan, data []byte) error {
	return s.env.talosCall(ctx, st.DryRun(), []string{vm.Address.String()}, func(ctx context.Context, c talosClient) error {
		var resolved machine.ApplyConfigurationRequest_Mode
		var same bool
		err := retry.Do(ctx, s.env.talosPolicy(st, 5*time.Minute), func(ctx context.Context) (err error) {
			resolved, same, err = talos.DryRunApply(ctx, c, data)
			return err
		})
		if err != nil {
			return fmt.Errorf("failed to compare %s's config with the one it runs: %w", vm.Name, err)
		}
		if same {
			st.Skip("%s runs this config (dry-run apply: no changes)", vm.Name)
			return nil
		}
		m := run.Mutation{API: "talos", Verb: "apply", Object: fmt.Sprintf("machine config of %s (%s)", vm.Name, vm.Address),
			Detail:  fmt.Sprintf("the node runs a different config; mode AUTO resolves to %s", resolved),
			Request: machine.MachineService_ApplyConfiguration_FullMethodName}
		err = st.Mutate(ctx, m, func(ctx context.Context) error {
			return s.applyConfigured(ctx, st, c, data, &resolved)
		})
		if err != nil || resolved != machine.ApplyConfigurationRequest_REBOOT {
			return err
		}
		return s.env.talosProbe(vm, false).WaitRunning(ctx, data, vmProgress(st, vm))
	})
}

// applyConfigured sends a changed config to a configured node. A retry
// first asks the node, with a dry-run apply, whether it already runs data
// (an earlier attempt landed); a node rebooting into it answers
// FailedPrecondition, which is waited out, never answered with a resend.
func (s *apply) applyConfigured(ctx context.Context, st *run.Step, c talosClient, data []byte, resolved *machine.ApplyConfigurationRequest_Mode) error {
	attempt := 0
	return retry.Do(ctx, s.env.talosPolicy(st, 10*time.Minute), func(ctx context.Context) error {
		if attempt++; attempt > 1 {
			if _, same, err := talos.DryRunApply(ctx, c, data); err != nil || same {
				return err
			}
		}
		resp, err := c.ApplyConfiguration(ctx, &machine.ApplyConfigurationRequest{Data: data, Mode: autoMode})
		if err == nil && len(resp.GetMessages()) > 0 {
			*resolved = resp.GetMessages()[0].GetMode()
		}
		return err
	})
}
