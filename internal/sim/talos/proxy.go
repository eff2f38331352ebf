package talos

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/api/common"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/api/storage"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// routeTargets reads apid's routing metadata: "nodes" (one-to-many, replies
// carry metadata) or "node" (one-to-one, a plain proxy).
func routeTargets(ctx context.Context) (targets []string, many bool) {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get("nodes"); len(v) > 0 {
		for _, s := range v {
			for _, t := range strings.Split(s, ",") {
				if t = strings.TrimSpace(t); t != "" {
					targets = append(targets, t)
				}
			}
		}
		return targets, true
	}
	if v := md.Get("node"); len(v) > 0 && v[0] != "" {
		return v[:1], false
	}
	return nil, false
}

// dialTimeout is how long apid's backend waits on a node that does not
// answer (gRPC's minimum connect timeout).
const dialTimeout = 20 * time.Second

// reach is apid dialing a backend node over mTLS with its own certificate:
// it fails as that dial would, with the error apid returns.
func (ns *Nodes) reach(ctx context.Context, from *node, target string) (*node, error) {
	addr := target + ":50000"
	unavailable := func(desc string) error {
		return status.Errorf(codes.Unavailable, "connection error: desc = %q", desc)
	}
	t := ns.byIP(target)
	if t == nil {
		return nil, unavailable("transport: Error while dialing: dial tcp " + addr + ": connect: no route to host")
	}
	if !ns.env.Reachable(from.spot(), t.spot()) {
		wait, cancel := context.WithTimeout(ctx, dialTimeout)
		defer cancel()
		<-wait.Done()
		if ctx.Err() != nil {
			return nil, status.FromContextError(ctx.Err()).Err()
		}
		return nil, unavailable("transport: Error while dialing: dial tcp " + addr + ": i/o timeout")
	}
	t.mu.Lock()
	kind, mode, tf := t.srvKind, t.mode, t.f
	t.mu.Unlock()
	from.mu.Lock()
	ff := from.f
	from.mu.Unlock()
	switch {
	case kind == "" && (mode == ModeOff || mode == ModeBooting):
		return nil, unavailable("transport: Error while dialing: dial tcp " + addr + ": connect: no route to host")
	case kind == "":
		return nil, unavailable("transport: Error while dialing: dial tcp " + addr + ": connect: connection refused")
	case kind == ModeMaintenance || !sameCA(ff, tf):
		return nil, unavailable("transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate signed by unknown authority")
	}
	return t, nil
}

// proxyUnary forwards a call to the targets in-process, each through its
// own machined (authorization included).
func (ns *Nodes) proxyUnary(ctx context.Context, from *node, method string, req any, targets []string, many bool) (any, error) {
	call := func(target string) (any, error) {
		t, err := ns.reach(ctx, from, target)
		if err != nil {
			return nil, err
		}
		return t.invokeUnary(ctx, method, req)
	}
	if !many {
		return call(targets[0])
	}
	out, err := newResponse(method)
	if err != nil {
		return nil, err
	}
	replies := make([]proto.Message, len(targets))
	var wg sync.WaitGroup
	for i, target := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := call(target)
			if err != nil {
				replies[i] = errorReply(out, target, err)
				return
			}
			replies[i] = resp.(proto.Message)
			stampHostname(replies[i], target)
		}()
	}
	wg.Wait()
	list := out.ProtoReflect().Mutable(messagesField(out)).List()
	for _, r := range replies {
		src := r.ProtoReflect().Get(messagesField(r)).List()
		for j := 0; j < src.Len(); j++ {
			list.Append(src.Get(j))
		}
	}
	return out, nil
}

// proxyStream forwards a streaming call. With "nodes" every message is
// stamped with its node and a failed node becomes a message carrying the
// error, one node after another.
func (ns *Nodes) proxyStream(ss grpc.ServerStream, from *node, info *grpc.StreamServerInfo, targets []string, many bool) error {
	if many && info.IsClientStream && len(targets) > 1 {
		return status.Error(codes.InvalidArgument, "one-to-many proxying is not supported for client streaming calls")
	}
	for _, target := range targets {
		t, err := ns.reach(ss.Context(), from, target)
		if err == nil {
			err = t.invokeStream(&stampStream{ServerStream: ss, host: target, stamp: many}, info)
		}
		if err == nil {
			continue
		}
		if !many {
			return err
		}
		if err := ss.SendMsg(errorMessage(info.FullMethod, target, err)); err != nil {
			return err
		}
	}
	return nil
}

// stampStream sets metadata.hostname on the messages it sends when asked.
type stampStream struct {
	grpc.ServerStream
	host  string
	stamp bool
}

func (s *stampStream) SendMsg(m any) error {
	if pm, ok := m.(proto.Message); ok && s.stamp {
		setHostname(pm.ProtoReflect(), s.host)
	}
	return s.ServerStream.SendMsg(m)
}

// The method tables the in-process proxy dispatches through: the generated
// descriptors, so a forwarded call runs exactly the handler a direct one does.
var (
	unaryMethods  = map[string]grpc.MethodDesc{}
	streamMethods = map[string]grpc.StreamDesc{}
)

func init() {
	for _, sd := range []grpc.ServiceDesc{machine.MachineService_ServiceDesc, storage.StorageService_ServiceDesc} {
		for _, m := range sd.Methods {
			unaryMethods["/"+sd.ServiceName+"/"+m.MethodName] = m
		}
		for _, s := range sd.Streams {
			streamMethods["/"+sd.ServiceName+"/"+s.StreamName] = s
		}
	}
}

func (n *node) impl(method string) any {
	if strings.HasPrefix(method, "/storage.") {
		return &storageAPI{n: n}
	}
	if strings.HasPrefix(method, "/cosi.resource.State/") {
		return n.res.srv
	}
	if strings.HasPrefix(method, "/cluster.") {
		return &clusterAPI{n: n}
	}
	return &machineAPI{n: n}
}

func (n *node) invokeUnary(ctx context.Context, method string, req any) (any, error) {
	md, ok := unaryMethods[method]
	if !ok {
		if err := authorize(ctx, method); err != nil {
			return nil, err
		}
		return nil, n.unmodelled(method)
	}
	dec := func(v any) error {
		proto.Merge(v.(proto.Message), req.(proto.Message))
		return nil
	}
	return md.Handler(n.impl(method), ctx, dec, n.localUnary)
}

func (n *node) invokeStream(ss grpc.ServerStream, info *grpc.StreamServerInfo) error {
	sd, ok := streamMethods[info.FullMethod]
	if !ok {
		if err := authorize(ss.Context(), info.FullMethod); err != nil {
			return err
		}
		return n.unmodelled(info.FullMethod)
	}
	return n.localStream(n.impl(info.FullMethod), ss, info, sd.Handler)
}

// outputType is the message type method replies with.
func outputType(method string) (protoreflect.MessageType, error) {
	name := protoreflect.FullName(strings.ReplaceAll(strings.TrimPrefix(method, "/"), "/", "."))
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(name)
	if err != nil {
		return nil, status.Errorf(codes.Unimplemented, "unknown method %s", method)
	}
	md, ok := d.(protoreflect.MethodDescriptor)
	if !ok {
		return nil, status.Errorf(codes.Unimplemented, "unknown method %s", method)
	}
	return protoregistry.GlobalTypes.FindMessageByName(md.Output().FullName())
}

// newResponse creates an empty response of method's output type, which must
// have the repeated messages field every machined response has.
func newResponse(method string) (proto.Message, error) {
	mt, err := outputType(method)
	if err != nil {
		return nil, err
	}
	if mt.Descriptor().Fields().ByName("messages") == nil {
		return nil, status.Errorf(codes.Unimplemented, "method %s cannot be proxied to many nodes", method)
	}
	return mt.New().Interface(), nil
}

// errorMessage is BuildError for streams: one message of the stream's type
// with only the metadata set.
func errorMessage(method, host string, err error) proto.Message {
	mt, terr := outputType(method)
	if terr != nil {
		return &common.Data{Metadata: errorMetadata(host, err)}
	}
	m := mt.New()
	if fd := m.Descriptor().Fields().ByName("metadata"); fd != nil {
		m.Set(fd, protoreflect.ValueOfMessage(errorMetadata(host, err).ProtoReflect()))
	}
	return m.Interface()
}

func messagesField(m proto.Message) protoreflect.FieldDescriptor {
	return m.ProtoReflect().Descriptor().Fields().ByName("messages")
}

// stampHostname is apid's AppendInfo: metadata.hostname on every message.
func stampHostname(resp proto.Message, host string) {
	list := resp.ProtoReflect().Get(messagesField(resp)).List()
	for i := 0; i < list.Len(); i++ {
		setHostname(list.Get(i).Message(), host)
	}
}

func setHostname(m protoreflect.Message, host string) {
	fd := m.Descriptor().Fields().ByName("metadata")
	if fd == nil || fd.Message() == nil || fd.Message().FullName() != "common.Metadata" {
		return
	}
	m.Mutable(fd).Message().Set(fd.Message().Fields().ByName("hostname"), protoreflect.ValueOfString(host))
}

// errorReply is apid's BuildError: a response whose one message carries the
// node, the error text and its status, instead of a gRPC error.
func errorReply(like proto.Message, host string, err error) proto.Message {
	out := like.ProtoReflect().New()
	list := out.Mutable(messagesField(like)).List()
	elem := list.NewElement()
	fd := elem.Message().Descriptor().Fields().ByName("metadata")
	elem.Message().Set(fd, protoreflect.ValueOfMessage(errorMetadata(host, err).ProtoReflect()))
	list.Append(elem)
	return out.Interface()
}

func errorMetadata(host string, err error) *common.Metadata {
	return &common.Metadata{Hostname: host, Error: err.Error(), Status: status.Convert(err).Proto()}
}
