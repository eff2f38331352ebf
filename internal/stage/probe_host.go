package stage

import (
	"context"

	"github.com/tripod-dev/tripod/internal/proxmox"
	"github.com/tripod-dev/tripod/internal/run"
)

// ProbeHost runs the command cmd, read-only or harmless to repeat (a drill
// writing its own probe object), once on host through its SSH, with the
// state's pins and the cluster's key (proxmox.Node.Probe: never repeated,
// so a probe sees an outage; a non-zero exit is a proxmox.HostCommandError).
// It is for the drills, which observe outside a run, after a dry run of
// the os stage has published the hosts' addresses into facts. The fleet
// pins in memory only: nothing is written to the state.
func (e *Env) ProbeHost(ctx context.Context, facts *run.Facts, host, cmd string) (string, error) {
	f, _ := e.pve.get(func() (*proxmox.Fleet, error) {
		f := e.newFleet(e.Dialer, true, facts)
		e.builtFleet.Store(f)
		return f, nil
	})
	return f.Node(host).Probe(ctx, cmd)
}
