package stage

import (
	"context"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
)

// prepareProxmox pins h's certificate fingerprint and creates its API token.
func (e *Env) prepareProxmox(ctx context.Context, st *run.Step, h inventory.HostPlan) error {
	return notImplemented(OS)
}
