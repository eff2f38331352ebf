package stage

import (
	"context"
	"slices"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
)

// Teardown stage names, as `tripod down` runs them.
const (
	DownFind    = "find-servers"
	DownVMs     = "delete-vms"
	DownServers = "release-servers"
)

// DownOptions say what down may destroy besides the cluster's VMs.
type DownOptions struct {
	ReleaseServers bool // terminate the servers this cluster ordered
	ReleaseAdopted bool // with ReleaseServers, also the servers it adopted
}

// DownList is the teardown, in order: find the servers carrying this
// cluster's ownership tag (nothing is ever ordered here), delete the VMs
// carrying its VM tag on each, then, only if asked, terminate the servers.
// Nothing without the cluster's tag is touched, whatever its name.
func DownList(env *Env, o DownOptions) []run.Stage {
	return []run.Stage{
		&findServers{env},       // servers with the ownership and host tags; their addresses
		&deleteVMs{env},         // on each host: stop and delete the VMs with the cluster's VM tag
		&releaseServers{env, o}, // with --release-servers: terminate ordered servers (adopted ones with --release-adopted)
	}
}

type findServers struct{ env *Env }

func (s *findServers) Name() string { return DownFind }

func (s *findServers) Targets() []run.Target {
	return s.env.hostTargets(func(inventory.HostPlan) []run.Key { return nil })
}

// Run observes the host's server: the adopted one, or the one carrying the
// cluster's and the host's tags. It publishes what it found for the stages
// after it; a host whose server is gone has nothing left to delete.
func (s *findServers) Run(ctx context.Context, st *run.Step) error {
	e := s.env
	h, _ := e.Layout().Host(st.Key.Target)
	c, err := e.scw()
	if err != nil {
		return err
	}
	o := e.owner()
	srv, err := o.taggedServer(ctx, c, h)
	if err != nil {
		return err
	}
	if srv == nil && h.AdoptServerID != "" {
		zone, _ := hostZone(h)
		if cur, gerr := c.GetServer(ctx, h.Provider, zone, h.AdoptServerID); gerr == nil && o.hasOurTags(cur, h) {
			srv = cur
		}
	}
	if srv == nil {
		st.Skip("no server carries %s and %s", e.ServerTag(), hostTag(h.Name))
		return nil
	}
	if id := o.otherState(srv); id != "" {
		return o.managedElsewhere(id, srv) // its VMs and server are that directory's to destroy
	}
	f := hostFact(srv, h)
	f.Adopted = f.Adopted || slices.Contains(srv.Tags, AdoptedTag)
	factsOf(st).SetHost(h.Name, f)
	factsOf(st).SetDownServer(h.Name, srv)
	st.Skip("server %s (%s) carries the cluster's tag", srv.ID, srv.Status)
	return nil
}
