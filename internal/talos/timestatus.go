package talos

import (
	"context"
	"errors"
	"fmt"

	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/siderolabs/talos/pkg/machinery/client"
	"github.com/siderolabs/talos/pkg/machinery/resources/time"
	"google.golang.org/grpc/codes"
)

// ErrNoCOSI marks a node that does not serve the COSI resource API (an
// old Talos), so its TimeStatus cannot be read.
var ErrNoCOSI = errors.New("the node does not serve the COSI resource API")

// TimeSynced reads the node's TimeStatus (TimeStatuses.v1alpha1.talos.dev
// "node", namespace runtime) through the machinery's COSI client: whether
// its clock synced with its time servers, which a node in maintenance mode
// reaches through its cloud-init route and resolvers. A node that has no
// TimeStatus yet (time sync not started) is not synced. An error wraps
// ErrNoCOSI when the node answers Unimplemented.
func TimeSynced(ctx context.Context, c *client.Client) (bool, error) {
	st, err := safe.StateGetByID[*time.Status](ctx, c.COSI, time.StatusID)
	switch {
	case err == nil:
		return st.TypedSpec().Synced, nil
	case state.IsNotFoundError(err):
		return false, nil
	case client.StatusCode(err) == codes.Unimplemented:
		return false, fmt.Errorf("%w: %w", ErrNoCOSI, err)
	}
	return false, fmt.Errorf("failed to read the node's time status: %w", err)
}
