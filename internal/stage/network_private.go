package stage

import (
	"context"

	"github.com/tripod-dev/tripod/internal/run"
)

// privateNetwork joins every server to one private network: a Dedibox RPNv2
// group with the inventory's VLAN, or an Elastic Metal private network.
func (s *network) privateNetwork(ctx context.Context, st *run.Step) error {
	return notImplemented(Network)
}
