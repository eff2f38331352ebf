package stage

import (
	"context"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
)

// install puts Proxmox VE on h's server through the Scaleway API.
func (s *osInstall) install(ctx context.Context, st *run.Step, h inventory.HostPlan) error {
	return notImplemented(OS)
}
