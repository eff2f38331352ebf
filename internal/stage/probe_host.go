package stage

import (
	"context"

	"github.com/tripod-dev/tripod/internal/proxmox"
	"github.com/tripod-dev/tripod/internal/run"
)

// ProbeHost runs the command cmd, read-only or harmless to repeat (a drill
// writing its own probe object), on host through its SSH, with
// the state's pins and the cluster's key, as the stages' observations do
// (proxmox.Node.Observe: repeated when its session fails, a non-zero exit
// is a proxmox.HostCommandError). It is for commands that observe outside
// a run, the drills, after a dry run of the os stage has published the
// hosts' addresses into facts. The fleet pins in memory only: nothing is
// written to the state.
func (e *Env) ProbeHost(ctx context.Context, facts *run.Facts, host, cmd string) (string, error) {
	f, _ := e.pve.get(func() (*proxmox.Fleet, error) {
		f := e.newFleet(e.Dialer, true, facts)
		e.builtFleet.Store(f)
		return f, nil
	})
	return f.Node(host).Observe(ctx, cmd)
}
