package talos

import (
	"context"
	"crypto/tls"
	"fmt"
	"time"

	cosiapi "github.com/cosi-project/runtime/api/v1alpha1"
	clusterapi "github.com/siderolabs/talos/pkg/machinery/api/cluster"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/api/storage"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	"github.com/siderolabs/talos/pkg/machinery/role"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// wantServer is which apid should be running: the insecure maintenance one,
// the mTLS one, or none.
func (n *node) wantServer() Mode {
	switch n.mode {
	case ModeMaintenance:
		return ModeMaintenance
	case ModeConfigured:
		return ModeConfigured
	case ModeRebooting, ModeResetting:
		if !n.down() {
			return ModeConfigured
		}
	}
	return ""
}

// syncServer starts or stops apid to match the mode. A mode change restarts
// apid, as the real one restarts leaving maintenance: in-flight calls end.
func (n *node) syncServer() {
	n.mu.Lock()
	want, have := n.wantServer(), n.srvKind
	n.mu.Unlock()
	if want == have {
		return
	}
	n.stopServer(false)
	if want == "" {
		return
	}
	if err := n.startServer(want); err != nil {
		n.ns.env.Log.Error(simcore.APITalos, "protocol", fmt.Sprintf("node %s: %v", n.ip, err))
	}
}

func (n *node) startServer(kind Mode) error {
	var tlsCfg *tls.Config
	if kind == ModeMaintenance {
		cert, err := maintenanceCert(n.ip)
		if err != nil {
			return err
		}
		tlsCfg = maintenanceTLS(cert)
	} else {
		// Resolved per handshake so that a config applied without a reboot
		// (new certSANs, new accepted CAs) takes effect as it does on a node.
		tlsCfg = &tls.Config{MinVersion: tls.VersionTLS13, GetConfigForClient: n.secureConfig}
	}
	ln, err := n.ns.env.Listen(n.addr, n.vmInfo().Placement, "talos")
	if err != nil {
		return err
	}
	srv := grpc.NewServer(
		grpc.Creds(credentials.NewTLS(tlsCfg)),
		grpc.ChainUnaryInterceptor(n.ns.env.UnaryInterceptor(simcore.APITalos, mutating), n.frontUnary(kind)),
		grpc.ChainStreamInterceptor(n.ns.env.StreamInterceptor(simcore.APITalos, mutating), n.frontStream(kind)),
		grpc.UnknownServiceHandler(unknownService),
		grpc.MaxRecvMsgSize(constants.GRPCMaxMessageSize),
	)
	machine.RegisterMachineServiceServer(srv, &machineAPI{n: n})
	storage.RegisterStorageServiceServer(srv, &storageAPI{n: n})
	cosiapi.RegisterStateServer(srv, n.res.srv)
	clusterapi.RegisterClusterServiceServer(srv, &clusterAPI{n: n})
	n.mu.Lock()
	n.srv, n.srvKind = srv, kind
	n.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
	return nil
}

func (n *node) secureConfig(*tls.ClientHelloInfo) (*tls.Config, error) {
	n.mu.Lock()
	cert, f := n.cert, n.f
	n.mu.Unlock()
	pool, err := clientCAs(f)
	if err != nil {
		return nil, err
	}
	return secureTLS(cert, pool), nil
}

// stopServer takes apid down. hard drops connections at once (power off);
// otherwise in-flight calls get a moment to finish, as apid's graceful
// stop, in the background so the node's state machine does not wait.
func (n *node) stopServer(hard bool) {
	n.mu.Lock()
	srv := n.srv
	n.srv, n.srvKind = nil, ""
	n.mu.Unlock()
	if srv == nil {
		return
	}
	n.ns.env.Net.Close(n.addr)
	if hard {
		srv.Stop()
		return
	}
	n.ns.background(func() {
		done := make(chan struct{})
		go func() {
			srv.GracefulStop()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			srv.Stop()
			<-done
		}
	})
}

// frontUnary is apid: it assigns the caller's roles (everyone os:reader in
// maintenance), proxies calls with node/nodes metadata once configured, and
// hands the rest to the local machined.
func (n *node) frontUnary(kind Mode) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if kind == ModeMaintenance {
			return n.localUnary(withRoles(ctx, role.MakeSet(role.Reader)), req, info, handler)
		}
		ctx = withRoles(ctx, peerRoles(ctx))
		if targets, many := routeTargets(ctx); len(targets) > 0 {
			return n.ns.proxyUnary(ctx, n, info.FullMethod, req, targets, many)
		}
		return n.localUnary(ctx, req, info, handler)
	}
}

func (n *node) frontStream(kind Mode) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if kind == ModeMaintenance {
			ctx := withRoles(ss.Context(), role.MakeSet(role.Reader))
			return n.localStream(srv, &ctxStream{ServerStream: ss, ctx: ctx}, info, handler)
		}
		ctx := withRoles(ss.Context(), peerRoles(ss.Context()))
		if targets, many := routeTargets(ctx); len(targets) > 0 {
			return n.ns.proxyStream(&ctxStream{ServerStream: ss, ctx: ctx}, n, info, targets, many)
		}
		return n.localStream(srv, &ctxStream{ServerStream: ss, ctx: ctx}, info, handler)
	}
}

// localUnary is machined: authorization, then the handler if the simulator
// models the method.
func (n *node) localUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := authorize(ctx, info.FullMethod); err != nil {
		return nil, err
	}
	if !modelled[info.FullMethod] {
		return nil, n.unmodelled(info.FullMethod)
	}
	return handler(ctx, req)
}

func (n *node) localStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if err := authorize(ss.Context(), info.FullMethod); err != nil {
		return err
	}
	if !modelled[info.FullMethod] {
		return n.unmodelled(info.FullMethod)
	}
	return handler(srv, ss)
}

func (n *node) unmodelled(method string) error {
	n.ns.env.Log.Error(simcore.APITalos, "unmodelled", method)
	return status.Errorf(codes.Unimplemented, "method %s not implemented", methodName(method))
}

// unknownService answers services apid serves but the simulator does not
// register (time, inspect); the stream interceptors
// have already recorded it as unmodelled by then.
func unknownService(any, grpc.ServerStream) error {
	return status.Error(codes.Unimplemented, "the simulator does not model this service")
}

// ctxStream is a server stream with a replaced context (roles attached).
type ctxStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *ctxStream) Context() context.Context { return s.ctx }

// mutating tells the request log which calls change a node. A dry-run
// ApplyConfiguration changes nothing: it is how a client compares configs.
func mutating(method string, req any) bool {
	if r, ok := req.(*machine.ApplyConfigurationRequest); ok && r.GetDryRun() {
		return false
	}
	switch methodName(method) {
	case "ApplyConfiguration", "Bootstrap", "Reboot", "Reset", "Shutdown", "Upgrade", "EtcdRecover",
		"EtcdRemoveMemberByID", "EtcdLeaveCluster", "EtcdForfeitLeadership", "BlockDeviceWipe":
		return true
	}
	return false
}
