package talos

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"

	"github.com/siderolabs/talos/pkg/machinery/client"
	clientconfig "github.com/siderolabs/talos/pkg/machinery/client/config"
	"google.golang.org/grpc"
)

// DialFunc opens a connection to address ("10.20.0.50:50000"). Every
// client's connections go through it: tripod's one dialer.
type DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

func dialOptions(dial DialFunc) client.OptionFunc {
	return client.WithGRPCDialOptions(
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			return dial(ctx, "tcp", addr)
		}),
		// Nodes sit on the private network; an HTTP proxy from the
		// environment would only take connections around the dialer.
		grpc.WithNoProxy(),
	)
}

// Insecure is the maintenance-mode client, as talosctl --insecure builds
// it: server-only TLS without verification, because a node in maintenance
// serves a certificate from a CA it made up at boot that nobody can verify.
// Everything sent over it (a machine config) is visible to whoever sits
// on the private network, as with talosctl.
func Insecure(ctx context.Context, dial DialFunc, endpoint string) (*client.Client, error) {
	c, err := client.New(ctx,
		client.WithTLSConfig(&tls.Config{InsecureSkipVerify: true}), //nolint:gosec // maintenance mode has nothing to verify against
		client.WithEndpoints(endpoint),
		dialOptions(dial))
	if err != nil {
		return nil, fmt.Errorf("failed to create the maintenance client for %s: %w", endpoint, err)
	}
	return c, nil
}

// Secure is the mutual-TLS client a talosconfig gives: the node must
// present a certificate from the cluster's OS CA, and tripod presents the
// talosconfig's admin certificate. endpoints override the talosconfig's.
func Secure(ctx context.Context, dial DialFunc, cfg *clientconfig.Config, endpoints ...string) (*client.Client, error) {
	opts := []client.OptionFunc{client.WithConfig(cfg), dialOptions(dial)}
	if len(endpoints) > 0 {
		opts = append(opts, client.WithEndpoints(endpoints...))
	}
	c, err := client.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("failed to create the Talos client for %v: %w", endpoints, err)
	}
	return c, nil
}
