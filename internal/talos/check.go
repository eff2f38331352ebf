package talos

import (
	"errors"
	"fmt"

	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"

	"github.com/tripod-dev/tripod/internal/inventory"
)

// RenderAll renders and validates the config of every VM of inv's layout
// with bundle, exactly as the machineconfig stage does, so that a config a
// node would refuse is found before anything is ordered. It is a pure
// function of its arguments: it writes nothing.
func RenderAll(inv *inventory.Loaded, bundle *secrets.Bundle) ([]*Rendered, error) {
	r, err := NewRenderer(inv, bundle)
	if err != nil {
		return nil, err
	}
	return r.RenderAll(inv.Layout.VMs)
}

// RenderAll renders every one of vms, in order. Every node is tried: the
// error is a *ConfigErrors holding one *PatchError per node that fails,
// and the configs of the others are returned all the same.
func (r *Renderer) RenderAll(vms []inventory.VMPlan) ([]*Rendered, error) {
	var out []*Rendered
	var errs ConfigErrors
	for _, vm := range vms {
		got, err := r.Render(vm)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, got)
	}
	if len(errs) > 0 {
		return out, errs
	}
	return out, nil
}

// ConfigErrors are the nodes whose config does not build or validate, one
// error (a *PatchError) per node, each printed on its own line.
type ConfigErrors []error

func (e ConfigErrors) Error() string { return errors.Join(e...).Error() }

// Unwrap gives errors.As and errors.Is every node's error.
func (e ConfigErrors) Unwrap() []error { return e }

// ThrowawayBundle generates a secrets bundle for checking configs before the
// cluster has one of its own. It lives in memory only: nothing derived from
// it may be stored or applied. Generating one takes about a second, so a
// command makes at most one.
func ThrowawayBundle(talosVersion string) (*secrets.Bundle, error) {
	data, err := NewBundle(secrets.NewClock(), talosVersion)
	if err != nil {
		return nil, err
	}
	b, err := LoadBundle(data)
	if err != nil {
		return nil, fmt.Errorf("failed to load a throwaway Talos secrets bundle: %w", err)
	}
	return b, nil
}
