package stage

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tripod-dev/tripod/internal/proxmox"
	"github.com/tripod-dev/tripod/internal/run"
)

// pveWorld is a test world for the Proxmox stages, run from preflight:
// the Scaleway stages order, install and network the servers first.
type pveWorld struct {
	*testWorld
	mu     sync.Mutex
	events []run.Event
}

func newPVEWorld(t *testing.T, inventoryPath string, opts ...simOption) *pveWorld {
	t.Helper()
	return &pveWorld{testWorld: newTestWorld(t, inventoryPath, opts...)}
}

// run runs env's stages until until, collecting events.
func (w *pveWorld) run(env *Env, until string, dryRun bool) (*run.Report, error) {
	w.t.Helper()
	sink := run.SinkFunc(func(e run.Event) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.events = append(w.events, e)
	})
	r := &run.Runner{Stages: List(env), Until: until, Pools: Pools, DryRun: dryRun, Sink: sink, Facts: &run.Facts{}}
	return r.Run(context.Background())
}

// warnings are the warn events so far.
func (w *pveWorld) warnings() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, e := range w.events {
		if e.Kind == run.EventWarn {
			out = append(out, e.Stage+"/"+e.Target+": "+e.Message)
		}
	}
	return out
}

// apiClient is a token client on host, as "someone else" (an operator)
// would hold one.
func (w *pveWorld) apiClient(host string) *proxmox.Client {
	w.t.Helper()
	var ip string
	for _, n := range w.World.Proxmox.State().Nodes {
		if n.Name == host {
			ip = n.PublicIP
		}
	}
	cfg := proxmox.Config{Dialer: w.Env.Dialer, Timing: w.Env.Timing, Pins: proxmox.FilePins{Dir: filepath.Join(w.Env.State.Path, "pins")}}
	c, err := proxmox.NewClient(cfg, proxmox.Endpoint{Node: host, Address: ip})
	if err != nil {
		w.t.Fatal(err)
	}
	tok, err := w.Env.State.Secrets.Get(secretPVEToken(host))
	if err != nil {
		w.t.Fatal(err)
	}
	if err := c.UseToken(pveTokenID, string(tok)); err != nil {
		w.t.Fatal(err)
	}
	return c
}
