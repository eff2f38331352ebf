package simcore

import (
	"context"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// UnaryInterceptor records each gRPC call under its full method name, applies
// the fault model (Unavailable, hangs) before the handler runs, and counts
// calls that mutating reports as mutating.
func (e *Env) UnaryInterceptor(api API, mutating func(fullMethod string) bool) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if err := e.grpcFault(ctx, api, info.FullMethod); err != nil {
			e.Log.Record(api, info.FullMethod, mutating(info.FullMethod), status.Code(err).String())
			return nil, err
		}
		resp, err := handler(ctx, req)
		e.Log.Record(api, info.FullMethod, mutating(info.FullMethod), status.Code(err).String())
		return resp, err
	}
}

// StreamInterceptor is UnaryInterceptor for streaming calls.
func (e *Env) StreamInterceptor(api API, mutating func(fullMethod string) bool) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if err := e.grpcFault(ss.Context(), api, info.FullMethod); err != nil {
			e.Log.Record(api, info.FullMethod, mutating(info.FullMethod), status.Code(err).String())
			return err
		}
		err := handler(srv, ss)
		e.Log.Record(api, info.FullMethod, mutating(info.FullMethod), status.Code(err).String())
		return err
	}
}

func (e *Env) grpcFault(ctx context.Context, api API, method string) error {
	if d := e.Delay(OpAPIRoundTrip, method); d > 0 {
		time.Sleep(d)
	}
	switch f := e.Faults.Decide(api, method, true); f.Kind {
	case FaultUnavailable:
		return status.Error(codes.Unavailable, "connection error: simulated fault")
	case FaultHang:
		t := time.NewTimer(f.HangFor)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		case <-t.C:
			return status.Error(codes.DeadlineExceeded, "simulated hang")
		}
	}
	return nil
}
