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
	if rd, ok := res.(meta.ResourceDefinitionProvider); ok {
		r.mu.Lock()
		r.sensitive[res.Metadata().Type()] = rd.ResourceDefinition().Sensitivity == meta.Sensitive
		r.mu.Unlock()
	}
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
