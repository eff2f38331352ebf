package stage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/client"
	clientconfig "github.com/siderolabs/talos/pkg/machinery/client/config"
	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/retry"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/state"
	"github.com/tripod-dev/tripod/internal/talos"
)

// talosCache is the Talos bundle and what derives from it, each built once
// per Env: one set for the stored bundle and one for a throwaway (planned)
// bundle, so that nothing rendered from the one is ever taken for the other.
type talosCache struct {
	stored, planned talosDerived
}

// of is the set for a stored (planned false) or throwaway bundle.
func (c *talosCache) of(planned bool) *talosDerived {
	if planned {
		return &c.planned
	}
	return &c.stored
}

// talosDerived is one bundle, its renderer, its talosconfig and each node's
// rendered config.
type talosDerived struct {
	bundle      lazy[*secrets.Bundle]
	renderer    lazy[*talos.Renderer]
	talosconfig lazy[*clientconfig.Config]

	mu      sync.Mutex
	configs map[string]*lazy[*talos.Rendered] // by node name
}

// config is node's rendered config, built at most once.
func (d *talosDerived) config(node string) *lazy[*talos.Rendered] {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.configs == nil {
		d.configs = map[string]*lazy[*talos.Rendered]{}
	}
	c, ok := d.configs[node]
	if !ok {
		c = &lazy[*talos.Rendered]{}
		d.configs[node] = c
	}
	return c
}

// lazy is a value built once, by the first get's build; a failed build's
// error is what every later get returns.
type lazy[T any] struct {
	once sync.Once
	v    T
	err  error
}

func (l *lazy[T]) get(build func() (T, error)) (T, error) {
	l.once.Do(func() { l.v, l.err = build() })
	return l.v, l.err
}

// talosBundle is the cluster's Talos secrets bundle from the store. In a
// dry run before one was ever generated (and for preflight's check of the
// configs, dryRun or not) it is a throwaway bundle made once per command and
// never stored, so every config is rendered and validated before anything
// exists; planned says so, and keeps everything derived from it apart from
// the real one (talosCache).
func (e *Env) talosBundle(dryRun bool) (b *secrets.Bundle, planned bool, err error) {
	data, err := e.State.Secrets.Get(secretTalosBundle)
	switch {
	case err == nil:
		b, err = e.talos.stored.bundle.get(func() (*secrets.Bundle, error) { return talos.LoadBundle(data) })
		return b, false, err
	case errors.Is(err, state.ErrNoSecret) && dryRun:
		b, err = e.talos.planned.bundle.get(func() (*secrets.Bundle, error) {
			return talos.ThrowawayBundle(e.Cluster().Talos.Version)
		})
		return b, true, err
	case errors.Is(err, state.ErrNoSecret):
		return nil, false, fmt.Errorf("the Talos secrets bundle (%s) is missing from the secrets store; machineconfig/%s generates it", secretTalosBundle, secretsTarget)
	}
	return nil, false, err
}

// talosRenderer renders the cluster's configs, once per run.
func (e *Env) talosRenderer(dryRun bool) (*talos.Renderer, error) {
	b, planned, err := e.talosBundle(dryRun)
	if err != nil {
		return nil, err
	}
	return e.talos.of(planned).renderer.get(func() (*talos.Renderer, error) { return talos.NewRenderer(e.Inv, b) })
}

// nodeConfig is vm's rendered and validated config, once per run: apply
// sends exactly what machineconfig wrote.
func (e *Env) nodeConfig(vm inventory.VMPlan, dryRun bool) (*talos.Rendered, error) {
	_, planned, err := e.talosBundle(dryRun)
	if err != nil {
		return nil, err
	}
	return e.talos.of(planned).config(vm.Name).get(func() (*talos.Rendered, error) {
		r, err := e.talosRenderer(dryRun)
		if err != nil {
			return nil, err
		}
		return r.Render(vm)
	})
}

// talosClientConfig is the talosconfig the Talos clients use, generated in
// memory from the bundle (the written file is for people and talosctl), so
// apply does not wait on the file being written.
func (e *Env) talosClientConfig(dryRun bool) (*clientconfig.Config, error) {
	_, planned, err := e.talosBundle(dryRun)
	if err != nil {
		return nil, err
	}
	return e.talos.of(planned).talosconfig.get(func() (*clientconfig.Config, error) {
		r, err := e.talosRenderer(dryRun)
		if err != nil {
			return nil, err
		}
		return r.Talosconfig()
	})
}

// secureTalos is a mutual-TLS client to endpoints (default: every control
// plane). Callers close it; clients live for one step or one check, so a
// node restarting its API never leaves a connection in backoff.
func (e *Env) secureTalos(ctx context.Context, dryRun bool, endpoints ...string) (*client.Client, error) {
	tc, err := e.talosClientConfig(dryRun)
	if err != nil {
		return nil, err
	}
	return talos.Secure(ctx, e.Dialer.DialContext, tc, talos.WithEndpoints(endpoints...), talos.WithRetries(e.talosRetries()))
}

// insecureTalos is the maintenance-mode client to vm.
func (e *Env) insecureTalos(ctx context.Context, vm inventory.VMPlan) (*client.Client, error) {
	return talos.Insecure(ctx, e.Dialer.DialContext, vm.Address.String(), talos.WithRetries(e.talosRetries()))
}

// talosRetries cuts every Talos call after 30 s (scaled) and repeats reads
// the node answered Unavailable, counted in the run's retries.
func (e *Env) talosRetries() talos.Retries {
	return talos.Retries{Counter: e.Retries, Timing: e.Timing}
}

// talosVM finds a VM of the layout by name (a target ID).
func (e *Env) talosVM(name string) (inventory.VMPlan, error) {
	for _, vm := range e.Layout().VMs {
		if vm.Name == name {
			return vm, nil
		}
	}
	return inventory.VMPlan{}, fmt.Errorf("no VM %q in the layout", name)
}

// talosClient is the machinery's client, as the stages use it.
type talosClient = *client.Client

// talosCall runs fn with a mutual-TLS client to endpoints (default: every
// control plane) that lives for this call only.
func (e *Env) talosCall(ctx context.Context, dryRun bool, endpoints []string, fn func(context.Context, talosClient) error) error {
	c, err := e.secureTalos(ctx, dryRun, endpoints...)
	if err != nil {
		return err
	}
	defer c.Close()
	return fn(ctx, c)
}

// talosPolicy retries a Talos call on transient gRPC codes, within
// deadline (unscaled), reporting each retry as progress.
func (e *Env) talosPolicy(st *run.Step, deadline time.Duration) retry.Policy {
	return retry.Policy{
		API: "talos", PerAttempt: e.Timing.Attempt(30 * time.Second), Deadline: e.Timing.Deadline(deadline),
		Initial: e.Timing.Interval(500 * time.Millisecond), Max: e.Timing.Interval(10 * time.Second),
		Classify: talos.Classify, Counter: e.Retries,
		OnRetry: func(_ int, err error, _ time.Duration) { st.Progress("retrying: %s", shortErr(err)) },
	}
}
