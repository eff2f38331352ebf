package talos

import (
	"context"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/client"
	"google.golang.org/grpc/codes"

	"github.com/tripod-dev/tripod/internal/retry"
)

// Bootstrap starts etcd on the node c talks to, retrying under p (its
// Classify defaults to Classify). It bootstraps at most once: a node
// answers AlreadyExists once etcd has data, so an attempt that landed but
// was cut on its way back, or a run before this one, ends in success with
// already set, on the same node, never in a bootstrap of another member.
func Bootstrap(ctx context.Context, c *client.Client, p retry.Policy) (already bool, err error) {
	if p.Classify == nil {
		p.Classify = Classify
	}
	err = retry.Do(ctx, p, func(ctx context.Context) error {
		err := c.Bootstrap(ctx, &machine.BootstrapRequest{})
		if Code(err) == codes.AlreadyExists {
			already = true
			return nil
		}
		return err
	})
	return already, err
}
