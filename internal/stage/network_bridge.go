package stage

import (
	"context"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
)

// bridge gives host h the VM bridge on the private VLAN, with its private
// address.
func (s *network) bridge(ctx context.Context, st *run.Step, h inventory.HostPlan) error {
	return notImplemented(Network)
}
