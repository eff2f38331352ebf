package talos

import (
	"github.com/siderolabs/talos/pkg/machinery/client"
	"google.golang.org/grpc/codes"

	"github.com/tripod-dev/tripod/internal/retry"
)

// Classify decides about a Talos API error from its gRPC status code,
// found through the client's wrapping (multierror, NodeError):
//   - Unavailable, DeadlineExceeded: the node or apid is not there yet
//     (booting, installing, restarting with new certificates);
//   - FailedPrecondition: the node is not ready for the call yet ("bootstrap
//     is not available yet", "time is not in sync yet", a reboot pending);
//   - Canceled: apid restarted under the call, as it does leaving
//     maintenance;
//
// are transient. AlreadyExists is the caller's to interpret (Bootstrap on a
// bootstrapped node); like PermissionDenied, InvalidArgument, Unimplemented
// and everything else it is fatal here. Errors without a status (dialing,
// a cut attempt) go to retry.Default.
func Classify(err error) retry.Decision {
	switch client.StatusCode(err) {
	case codes.OK, codes.Unknown:
		return retry.Default(err)
	case codes.Unavailable, codes.DeadlineExceeded, codes.FailedPrecondition, codes.Canceled:
		return retry.Decision{Class: retry.Transient}
	}
	return retry.Decision{Class: retry.Fatal}
}

// Code is the gRPC status code of err, found through the client's
// wrapping.
func Code(err error) codes.Code { return client.StatusCode(err) }
