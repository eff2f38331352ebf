package talos

import (
	"context"
	"net"

	cosiapi "github.com/cosi-project/runtime/api/v1alpha1"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/api/storage"
	"github.com/siderolabs/talos/pkg/machinery/client"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	"github.com/siderolabs/talos/pkg/machinery/role"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
)

// localSocket is where machined reaches its own apid.
const localSocket = "/system/run/apid/apid.sock"

// localClient is machined's client of its node's apid over the local
// socket (Talos's LocalClientProvider), carrying the caller's roles as
// machined forwards them: calls with node or nodes metadata go through
// apid's proxy to the other nodes, the rest to this node's machined. The
// socket is in-process; its calls are internal to the node, so they are
// not in the request log and no network fault touches them.
func (n *node) localClient(roles role.Set) (*client.Client, func(), error) {
	ln := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(n.socketUnary(roles)),
		grpc.ChainStreamInterceptor(n.socketStream(roles)),
		grpc.MaxRecvMsgSize(constants.GRPCMaxMessageSize),
	)
	machine.RegisterMachineServiceServer(srv, &machineAPI{n: n})
	storage.RegisterStorageServiceServer(srv, &storageAPI{n: n})
	cosiapi.RegisterStateServer(srv, n.res.srv)
	go func() { _ = srv.Serve(ln) }()
	dial := func(ctx context.Context, _ string) (net.Conn, error) { return ln.DialContext(ctx) }
	c, err := client.New(context.Background(), client.WithUnixSocket(localSocket),
		client.WithGRPCDialOptions(grpc.WithContextDialer(dial), grpc.WithTransportCredentials(insecure.NewCredentials())))
	if err != nil {
		srv.Stop()
		return nil, nil, err
	}
	return c, func() {
		_ = c.Close()
		srv.Stop()
	}, nil
}

func (n *node) socketUnary(roles role.Set) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx = withRoles(ctx, roles)
		if targets, many := routeTargets(ctx); len(targets) > 0 {
			return n.ns.proxyUnary(ctx, n, info.FullMethod, req, targets, many)
		}
		return n.localUnary(ctx, req, info, handler)
	}
}

func (n *node) socketStream(roles role.Set) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		s := &ctxStream{ServerStream: ss, ctx: withRoles(ss.Context(), roles)}
		if targets, many := routeTargets(s.ctx); len(targets) > 0 {
			return n.ns.proxyStream(s, n, info, targets, many)
		}
		return n.localStream(srv, s, info, handler)
	}
}
