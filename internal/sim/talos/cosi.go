package talos

import (
	"context"
	"reflect"
	"sync"

	cosiapi "github.com/cosi-project/runtime/api/v1alpha1"
	"github.com/cosi-project/runtime/pkg/resource"
	"github.com/cosi-project/runtime/pkg/resource/meta"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/cosi-project/runtime/pkg/state/impl/inmem"
	"github.com/cosi-project/runtime/pkg/state/impl/namespaced"
	"github.com/cosi-project/runtime/pkg/state/protobuf/server"
	"github.com/siderolabs/talos/pkg/machinery/role"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// resources is machined's resource state as the COSI API serves it
// (cosi.resource.State, the real protobuf service over an in-memory
// namespaced state): the resources the simulator keeps current from the
// node's life, TimeStatus and MachineStatus. It lives as long as the node's
// record; the loop rewrites every resource each tick, and a resource whose
// spec did not change is left alone so watchers see only real changes.
type resources struct {
	st  state.State
	srv *server.State

	mu        sync.Mutex
	sensitive map[resource.Type]bool
}

func newResources() *resources {
	r := &resources{st: state.WrapCore(namespaced.NewState(inmem.Build)), sensitive: map[resource.Type]bool{}}
	r.srv = server.NewState(state.Filter(r.st, r.allow))
	return r
}

// allow is machined's access policy for the COSI API: reading a resource
// needs os:reader (everyone has it in maintenance mode, through the
// insecure API), a sensitive one os:admin, and the API changes nothing: the
// resources belong to the node's controllers.
func (r *resources) allow(ctx context.Context, a state.Access) error {
	roles := rolesFrom(ctx)
	r.mu.Lock()
	sensitive := r.sensitive[a.ResourceType]
	r.mu.Unlock()
	switch {
	case !a.Verb.Readonly():
		return status.Error(codes.PermissionDenied, "not authorized")
	case sensitive && !roles.Includes(role.Admin):
		return status.Error(codes.PermissionDenied, "not authorized")
	case !roles.IncludesAny(role.MakeSet(role.Admin, role.Operator, role.Reader)):
		return status.Error(codes.PermissionDenied, "not authorized")
	}
	return nil
}

// put creates or updates a resource whose spec changed, owned by the
// controller that owns it on a real node.
func (r *resources) put(res resource.Resource, owner string) {
	ctx := context.Background()
	r.define(res)
	cur, err := r.st.Get(ctx, res.Metadata())
	if state.IsNotFoundError(err) {
		_ = r.st.Create(ctx, res, state.WithCreateOwner(owner))
		return
	}
	if err != nil || reflect.DeepEqual(cur.Spec(), res.Spec()) {
		return
	}
	res.Metadata().SetVersion(cur.Metadata().Version())
	// The stored metadata is the new resource's: it must carry the owner.
	_ = res.Metadata().SetOwner(owner)
	_ = r.st.Update(ctx, res, state.WithUpdateOwner(owner))
}

// replace makes the resources of kind (a namespace and type) exactly want:
// each is put, and the others of that kind the owner made are destroyed, as
// a controller cleans up what it no longer produces (a member whose node
// left, a static pod no longer rendered).
func (r *resources) replace(kind resource.Resource, want []resource.Resource, owner string) {
	ctx := context.Background()
	r.define(kind)
	keep := map[resource.ID]bool{}
	for _, res := range want {
		r.put(res, owner)
		keep[res.Metadata().ID()] = true
	}
	md := resource.NewMetadata(kind.Metadata().Namespace(), kind.Metadata().Type(), "", resource.VersionUndefined)
	list, err := r.st.List(ctx, md)
	if err != nil {
		return
	}
	for _, res := range list.Items {
		if !keep[res.Metadata().ID()] && res.Metadata().Owner() == owner {
			_ = r.st.Destroy(ctx, res.Metadata(), state.WithDestroyOwner(owner))
		}
	}
}

// define registers a type the node serves the first time it is put: its
// ResourceDefinition and its namespace in the meta namespace, which is what
// talosctl get resolves a name like "members" or "rd" against.
func (r *resources) define(res resource.Resource) {
	rd, ok := res.(meta.ResourceDefinitionProvider)
	if !ok {
		return
	}
	typ, ns := res.Metadata().Type(), res.Metadata().Namespace()
	r.mu.Lock()
	_, known := r.sensitive[typ]
	if !known {
		r.sensitive[typ] = rd.ResourceDefinition().Sensitivity == meta.Sensitive
	}
	r.mu.Unlock()
	if known {
		return
	}
	if def, err := meta.NewResourceDefinition(rd.ResourceDefinition()); err == nil {
		r.put(def, "")
	}
	r.put(meta.NewNamespace(ns, meta.NamespaceSpec{Description: namespaceDescriptions[ns]}), "")
}

// namespaceDescriptions are machined's descriptions of its namespaces.
var namespaceDescriptions = map[resource.Namespace]string{
	"meta":     "Metadata resources describing other resources.",
	"cluster":  "Cluster configuration and discovery resources.",
	"etcd":     "etcd resources.",
	"k8s":      "Kubernetes all node types resources.",
	"network":  "Networking resources.",
	"runtime":  "Talos runtime resources.",
	"v1alpha1": "Talos v1alpha1 subsystems glue resources.",
	"config":   "Talos node configuration.",
	"secrets":  "Resources with secret material.",
}

// cosiMethods are the COSI methods apid forwards to machined.
var cosiMethods = []string{"Get", "List", "Watch"}

func init() {
	for _, m := range cosiMethods {
		modelled["/cosi.resource.State/"+m] = true
	}
	sd := cosiapi.State_ServiceDesc
	for _, m := range sd.Methods {
		unaryMethods["/"+sd.ServiceName+"/"+m.MethodName] = m
	}
	for _, s := range sd.Streams {
		streamMethods["/"+sd.ServiceName+"/"+s.StreamName] = s
	}
}
