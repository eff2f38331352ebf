package talos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/api/storage"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/tripod-dev/tripod/internal/retry"
)

// Retries is what every Talos client's unary calls go through, as
// retry.Transport is for HTTP: each attempt has its own deadline, so a hung
// call is cut instead of holding its caller until the stage's deadline; a
// read that reached the node and came back Unavailable, or was cut, is sent
// again a few times and counted under "talos". A change (an apply, a
// bootstrap) is never sent again here: it may have landed, and only its
// caller knows how to look before repeating it. A call that never reached
// the node (connection refused, TLS handshake refused) is returned at once:
// that is a node not there yet, which the caller's wait polls for.
type Retries struct {
	Counter    *retry.Counter
	Timing     retry.Timing
	PerAttempt time.Duration // unscaled; default 30s
	Attempts   int           // attempts per read; default 4
}

// reads are the unary calls safe to send twice. A dry-run apply is a read
// too (see isRead).
var reads = map[string]bool{
	machine.MachineService_Version_FullMethodName:        true,
	machine.MachineService_Hostname_FullMethodName:       true,
	machine.MachineService_Memory_FullMethodName:         true,
	machine.MachineService_ServiceList_FullMethodName:    true,
	machine.MachineService_EtcdMemberList_FullMethodName: true,
	machine.MachineService_EtcdStatus_FullMethodName:     true,
	storage.StorageService_Disks_FullMethodName:          true,
}

func isRead(method string, req any) bool {
	if r, ok := req.(*machine.ApplyConfigurationRequest); ok {
		return r.GetDryRun()
	}
	return reads[method]
}

type onceKey struct{}

// Once marks calls made with ctx as probes: one attempt, whatever it meets.
// Waits use it where Unavailable is the state they wait out (etcd not
// started yet), so that it is neither repeated nor counted as a retry.
func Once(ctx context.Context) context.Context { return context.WithValue(ctx, onceKey{}, true) }

var errCut = errors.New("attempt timed out")

func (r Retries) unary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	attempts := r.Attempts
	if attempts <= 0 {
		attempts = 4
	}
	if once, _ := ctx.Value(onceKey{}).(bool); once || !isRead(method, req) {
		attempts = 1
	}
	backoff := r.Timing.Interval(250 * time.Millisecond)
	obs := retry.ObserverFrom(ctx)
	for attempt := 1; ; attempt++ {
		obs.Request("talos")
		answered, err := r.attempt(ctx, method, req, reply, cc, invoker, opts)
		if err == nil || attempt >= attempts || ctx.Err() != nil || !answered {
			return err
		}
		if c := status.Code(err); c != codes.Unavailable && c != codes.DeadlineExceeded {
			return err
		}
		r.Counter.Add("talos")
		wait := backoff/2 + rand.N(backoff/2+1)
		backoff = min(backoff*2, r.Timing.Interval(5*time.Second))
		obs.Retry("talos", attempt, fmt.Errorf("%s: %w", method, err), wait)
		if retry.Sleep(ctx, wait) != nil {
			return err
		}
	}
}

// attempt sends one try with its own deadline and reports whether it
// reached the node (a transport stream was opened, so the node answered or
// hung, rather than refused the connection).
func (r Retries) attempt(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts []grpc.CallOption) (bool, error) {
	per := r.PerAttempt
	if per <= 0 {
		per = 30 * time.Second
	}
	actx, cancel := context.WithTimeoutCause(ctx, r.Timing.Attempt(per), errCut)
	defer cancel()
	var p peer.Peer
	err := invoker(actx, method, req, reply, cc, append(opts, grpc.Peer(&p))...)
	return p.Addr != nil, err
}
