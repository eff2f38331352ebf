package simcore

import (
	"context"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Mutating says whether a gRPC call changes state. req is the request
// message for unary calls (a dry-run ApplyConfiguration changes nothing) and
// nil for streams.
type Mutating func(fullMethod string, req any) bool

// UnaryInterceptor records each gRPC call under its full method name, applies
// the fault model (refusals such as Unavailable, hangs) before the handler runs, and counts
// calls that mutating reports as mutating.
func (e *Env) UnaryInterceptor(api API, mutating Mutating) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		mut := mutating(info.FullMethod, req)
		lost, err := e.grpcFault(ctx, api, info.FullMethod)
		if err != nil {
			e.Log.Record(api, info.FullMethod, false, status.Code(err).String()) // stopped before it changed anything
			return nil, err
		}
		resp, err := handler(ctx, req)
		e.Log.Record(api, info.FullMethod, mut, status.Code(err).String())
		if lost != nil {
			return nil, lost() // served, but the answer never arrives
		}
		return resp, err
	}
}

// StreamInterceptor is UnaryInterceptor for streaming calls.
func (e *Env) StreamInterceptor(api API, mutating Mutating) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		mut := mutating(info.FullMethod, nil)
		if _, err := e.grpcFault(ss.Context(), api, info.FullMethod); err != nil {
			e.Log.Record(api, info.FullMethod, false, status.Code(err).String())
			return err
		}
		err := handler(srv, ss)
		e.Log.Record(api, info.FullMethod, mut, status.Code(err).String())
		return err
	}
}

// grpcFault applies the fault model to one call. An error stops the call
// before its handler; a non-nil lost func means the handler runs and then
// its answer is lost (lost waits like a hang and returns the client's
// error).
func (e *Env) grpcFault(ctx context.Context, api API, method string) (lost func() error, err error) {
	if d := e.Delay(OpAPIRoundTrip, method); d > 0 {
		time.Sleep(d)
	}
	hang := func(d time.Duration) error {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		case <-t.C:
			return status.Error(codes.DeadlineExceeded, "simulated hang")
		}
	}
	f := e.Faults.DecideOn(api, method, TransportGRPC)
	switch m := f.GRPC(); m.Move {
	case MoveRefuse:
		return nil, status.Error(m.Code, m.Message)
	case MoveHang:
		return nil, hang(f.HangFor)
	case MoveLose:
		return func() error { return hang(f.HangFor) }, nil
	}
	return nil, nil
}
