package talos

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync"

	"github.com/siderolabs/talos/pkg/machinery/client"
	clientconfig "github.com/siderolabs/talos/pkg/machinery/client/config"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tripod-dev/tripod/internal/retry"
)

// DialFunc opens a connection to address ("10.20.0.50:50000"). Every
// client's connections go through it: tripod's one dialer.
type DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// Option adjusts a client.
type Option func(*options)

type options struct {
	endpoints []string
	retries   Retries
}

// WithEndpoints overrides a talosconfig's endpoints.
func WithEndpoints(endpoints ...string) Option {
	return func(o *options) { o.endpoints = append(o.endpoints, endpoints...) }
}

// WithRetries sets how unary calls are cut and retried (default: 30 s per
// attempt, reads up to 4 times, nothing counted).
func WithRetries(r Retries) Option { return func(o *options) { o.retries = r } }

func dialOptions(dial DialFunc, r Retries) client.OptionFunc {
	var last lastDial
	return client.WithGRPCDialOptions(
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			c, err := dial(ctx, "tcp", addr)
			last.set(addr, err)
			return c, err
		}),
		// Nodes sit on the private network; an HTTP proxy from the
		// environment would only take connections around the dialer.
		grpc.WithNoProxy(),
		grpc.WithChainUnaryInterceptor(last.refusal, r.unary),
	)
}

// lastDial is a client's last dial outcome. gRPC reports a failed dial as
// Unavailable with the dialer's error flattened into text, which would
// make a jump host's lasting refusal to forward (retry.ForwardRefused) look
// like a node still booting; the interceptor puts the error back.
type lastDial struct {
	mu   sync.Mutex
	addr string
	err  error
}

func (l *lastDial) set(addr string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.addr, l.err = addr, err
}

// refusal returns a call that failed Unavailable because the last dial was
// refused for good as that refusal, marked fatal.
func (l *lastDial) refusal(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	err := invoker(ctx, method, req, reply, cc, opts...)
	if status.Code(err) != codes.Unavailable {
		return err
	}
	l.mu.Lock()
	addr, derr := l.addr, l.err
	l.mu.Unlock()
	if retry.ForwardRefused(derr) {
		return retry.MarkFatal(fmt.Errorf("failed to reach the Talos API at %s: %w", addr, derr))
	}
	return err
}

// Insecure is the maintenance-mode client, as talosctl --insecure builds
// it: server-only TLS without verification, because a node in maintenance
// serves a certificate from a CA it made up at boot that nobody can verify.
// Everything sent over it (a machine config) is visible to whoever sits
// on the private network, as with talosctl.
func Insecure(ctx context.Context, dial DialFunc, endpoint string, opts ...Option) (*client.Client, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	c, err := client.New(ctx,
		client.WithTLSConfig(&tls.Config{InsecureSkipVerify: true}), //nolint:gosec // maintenance mode has nothing to verify against
		client.WithEndpoints(endpoint),
		dialOptions(dial, o.retries))
	if err != nil {
		return nil, fmt.Errorf("failed to create the maintenance client for %s: %w", endpoint, err)
	}
	return c, nil
}

// Secure is the mutual-TLS client a talosconfig gives: the node must
// present a certificate from the cluster's OS CA, and tripod presents the
// talosconfig's admin certificate.
func Secure(ctx context.Context, dial DialFunc, cfg *clientconfig.Config, opts ...Option) (*client.Client, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	copts := []client.OptionFunc{client.WithConfig(cfg), dialOptions(dial, o.retries)}
	if len(o.endpoints) > 0 {
		copts = append(copts, client.WithEndpoints(o.endpoints...))
	}
	c, err := client.New(ctx, copts...)
	if err != nil {
		return nil, fmt.Errorf("failed to create the Talos client for %v: %w", o.endpoints, err)
	}
	return c, nil
}
