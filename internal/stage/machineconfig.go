package stage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/state"
	"github.com/tripod-dev/tripod/internal/talos"
)

type machineConfig struct{ env *Env }

func (s *machineConfig) Name() string { return MachineConfig }

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

// Run makes no remote call: it writes files in the state directory (never
// in a dry run, which renders and validates in memory only).
func (s *machineConfig) Run(ctx context.Context, st *run.Step) error {
	switch st.Key.Target {
	case secretsTarget:
		return s.secrets(st)
	case talosconfigTarget:
		return s.talosconfig(st)
	}
	vm, err := s.env.talosVM(st.Key.Target)
	if err != nil {
		return err
	}
	return s.node(st, vm)
}

// secrets generates the bundle once; every later run reuses it, which is
// what makes configs byte-identical from one run to the next.
func (s *machineConfig) secrets(st *run.Step) error {
	sec := s.env.State.Secrets
	data, err := sec.Get(secretTalosBundle)
	switch {
	case err == nil:
		if _, err := talos.LoadBundle(data); err != nil {
			return err
		}
		st.Skip("Talos secrets bundle already generated")
		return nil
	case !errors.Is(err, state.ErrNoSecret):
		return err
	case st.DryRun():
		st.Skip("would generate the Talos secrets bundle (this plan renders configs with a throwaway one)")
		return nil
	}
	data, err = sec.GetOrCreate(secretTalosBundle, func() ([]byte, error) {
		return talos.NewBundle(secrets.NewClock(), s.env.Cluster().Talos.Version)
	})
	if err != nil {
		return err
	}
	if _, err := talos.LoadBundle(data); err != nil {
		return err
	}
	st.Progress("generated the Talos secrets bundle (secrets/%s)", secretTalosBundle)
	return nil
}

// node renders, validates and writes one node's config. A config the node
// would refuse fails here, naming the node, the patch and the validator's
// message, before anything is applied.
func (s *machineConfig) node(st *run.Step, vm inventory.VMPlan) error {
	r, err := s.env.nodeConfig(vm, st.DryRun())
	if err != nil {
		return err
	}
	for _, w := range r.Warnings {
		st.Warn("%s: %s", vm.Name, w)
	}
	return s.writeSecretFile(st, talos.ConfigFile(vm.Name), r.Bytes, fmt.Sprintf("machine config of %s", vm.Name))
}

// talosconfig writes the talosctl config with every control plane as an
// endpoint, keeping one that is still current (a new one would only change
// the client key).
func (s *machineConfig) talosconfig(st *run.Step) error {
	b, _, err := s.env.talosBundle(st.DryRun())
	if err != nil {
		return err
	}
	eps := talos.ControlPlaneEndpoints(s.env.Layout())
	old, err := readStateSecret(s.env, talos.TalosconfigFile)
	if err != nil {
		return err
	}
	if old != nil && talos.TalosconfigCurrent(old, b, s.env.Cluster().Name, eps, time.Now()) {
		st.Skip("talosconfig is current (%s)", s.env.State.SecretPath(talos.TalosconfigFile))
		return nil
	}
	tc, err := s.env.talosClientConfig(st.DryRun())
	if err != nil {
		return err
	}
	data, err := tc.Bytes()
	if err != nil {
		return fmt.Errorf("failed to encode the talosconfig: %w", err)
	}
	return s.writeSecretFile(st, talos.TalosconfigFile, data, "talosconfig")
}

// writeSecretFile writes data at rel in the state directory, 0600 and
// atomically (sealed with age when the store is encrypted), unless the file
// already holds exactly that.
func (s *machineConfig) writeSecretFile(st *run.Step, rel string, data []byte, what string) error {
	path := s.env.State.SecretPath(rel)
	old, err := readStateSecret(s.env, rel)
	if err != nil {
		return err
	}
	if old != nil && bytes.Equal(old, data) {
		st.Skip("%s unchanged (%s)", what, path)
		return nil
	}
	if st.DryRun() {
		st.Skip("would write the %s to %s", what, path)
		return nil
	}
	if err := s.env.State.WriteSecretFile(rel, data); err != nil {
		return err
	}
	st.Progress("wrote the %s to %s", what, path)
	return nil
}

// readStateSecret is the content of a file tripod generates that holds
// keys, or nil when there is none to keep: absent, or readable by others
// (it is then rewritten 0600). A sealed file that does not open is an
// error: it names the file and the identity to set.
func readStateSecret(e *Env, rel string) ([]byte, error) {
	b, err := e.State.ReadSecretFile(rel)
	var me *state.ModeError
	if errors.Is(err, fs.ErrNotExist) || errors.As(err, &me) {
		return nil, nil
	}
	return b, err
}
