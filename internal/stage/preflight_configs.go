package stage

import (
	"context"
	"errors"
	"fmt"

	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"

	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/state"
	"github.com/tripod-dev/tripod/internal/talos"
)

// Preflight's targets that need no remote API. Every server order needs all
// of preflight, so a failure here stops the run before anything is paid for.
const (
	configsTarget  = "machineconfigs"   // every node's Talos config renders and validates
	identityTarget = "secrets-identity" // an encrypted secrets store can be read back
)

// localChecks are preflight's local targets, in the order they are listed.
var localChecks = []struct {
	id    string
	check func(e *Env, st *run.Step) error
}{
	{configsTarget, (*Env).checkConfigs},
	{identityTarget, (*Env).checkSecretsIdentity},
}

// localTargets lists the local checks as preflight targets.
func localTargets() []run.Target {
	var out []run.Target
	for _, c := range localChecks {
		out = append(out, run.Target{ID: c.id})
	}
	return out
}

// runLocal runs st's local check; ok is false for a target that is not one.
func (e *Env) runLocal(_ context.Context, st *run.Step) (ok bool, err error) {
	for _, c := range localChecks {
		if c.id == st.Key.Target {
			return true, c.check(e, st)
		}
	}
	return false, nil
}

// checkConfigs renders and validates every node's machine config before the
// first order, as machineconfig will, so that a patch a node would refuse
// costs nothing. It uses the stored secrets bundle when there is one (and
// leaves machineconfig the configs it rendered: the same bytes), else a
// throwaway bundle made once for this command and never stored.
func (e *Env) checkConfigs(st *run.Step) error {
	_, planned, err := e.talosBundle(true)
	if err != nil {
		return err
	}
	r, err := e.talosRenderer(true)
	if err != nil {
		return fmt.Errorf("the Talos machine configs cannot be rendered; nothing was ordered: %w", err)
	}
	rendered, err := r.RenderAll(e.Layout().VMs)
	if err != nil {
		return fmt.Errorf("a node would refuse its Talos machine config; nothing was ordered:\n%w", err)
	}
	for _, c := range rendered {
		c := c
		_, _ = cached(e, cacheKey(planned, "config/"+c.Node), func() (*talos.Rendered, error) { return c, nil })
	}
	bundle := "the stored secrets bundle"
	if planned {
		bundle = "a throwaway secrets bundle (machineconfig generates the cluster's own)"
	}
	st.Skip("%d machine configs render and validate (checked with %s)", len(rendered), bundle)
	return nil
}

// checkSecretsIdentity: with an encrypted secrets store, the run must be able
// to read back the root passwords, tokens and Talos bundle it stores, or it
// would order servers it then cannot install or reach.
func (e *Env) checkSecretsIdentity(st *run.Step) error {
	sec := e.State.Secrets
	if !sec.Encrypted() {
		st.Skip("the secrets store is not encrypted")
		return nil
	}
	if err := sec.CheckReadable(); err != nil {
		return fmt.Errorf("the encrypted secrets store could not be read back; nothing was ordered: %w", err)
	}
	st.Skip("the age identity opens the encrypted secrets store")
	return nil
}

// StoredTalosBundle reads the Talos secrets bundle from the secrets store in
// dir (an existing state directory's secrets/), for `tripod validate`: nil
// when the store has none. No secret is written.
func StoredTalosBundle(dir string) (*secrets.Bundle, error) {
	sec, err := state.NewSecrets(dir, "")
	if err != nil {
		return nil, err
	}
	data, err := sec.Get(secretTalosBundle)
	if errors.Is(err, state.ErrNoSecret) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return talos.LoadBundle(data)
}
