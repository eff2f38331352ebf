package stage

import (
	"errors"
	"fmt"

	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"

	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/state"
	"github.com/tripod-dev/tripod/internal/talos"
)

// checkConfigs renders and validates every node's machine config before the
// first order, as machineconfig will, so that a patch a node would refuse
// costs nothing. It uses the stored secrets bundle when there is one (and
// leaves machineconfig the configs it rendered: the same bytes), else a
// throwaway bundle made once for this command and never stored.
func (s *preflight) checkConfigs(st *run.Step) error {
	e := s.env
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
		_, _ = e.talos.of(planned).config(c.Node).get(func() (*talos.Rendered, error) { return c, nil })
	}
	bundle := "the stored secrets bundle"
	if planned {
		bundle = "a throwaway secrets bundle (machineconfig generates the cluster's own)"
	}
	st.Skip("%d machine configs render and validate (checked with %s)", len(rendered), bundle)
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
