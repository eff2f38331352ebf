package stage

import (
	"context"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
)

type machineConfig struct{ env *Env }

func (s *machineConfig) Name() string { return MachineConfig }

func (s *machineConfig) Run(ctx context.Context, st *run.Step) error {
	return notImplemented(MachineConfig)
}

// Target IDs of machineconfig besides one per node.
const (
	secretsTarget     = "secrets"
	talosconfigTarget = "talosconfig"
)

// Targets: the secrets bundle once; every node's config from it; the
// talosconfig from it. Nothing remote, so machine configs are rendered while
// servers are still being delivered.
func (s *machineConfig) Targets() []run.Target {
	out := []run.Target{{ID: secretsTarget}}
	out = append(out, s.env.vmTargets(func(inventory.VMPlan) []run.Key { return []run.Key{run.On(MachineConfig, secretsTarget)} })...)
	return append(out, run.Target{ID: talosconfigTarget, Needs: []run.Key{run.On(MachineConfig, secretsTarget)}})
}
