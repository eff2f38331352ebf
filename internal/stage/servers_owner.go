package stage

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	baremetal "github.com/scaleway/scaleway-sdk-go/api/baremetal/v1"
	dedibox "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/scaleway"
)

// stateTagPrefix tags a server with the state directory that ordered or
// adopted it: two state directories for one cluster would otherwise each
// take the other's servers for their own, or order every server twice.
const stateTagPrefix = "tripod-state="

// StateTag is the tag naming this run's state directory (state.Dir.ID).
func (e *Env) StateTag() string { return stateTagPrefix + e.State.ID }

// otherState returns the ID of the state directory srv is tagged for, if
// that is not this one. A server of the cluster without a state tag (built
// before tripod tagged them) is claimed by the first state directory that
// runs on it.
func (e *Env) otherState(srv *remoteServer) string {
	if id, ok := tagValue(srv.Tags, stateTagPrefix); ok && id != e.State.ID {
		return id
	}
	return ""
}

// stateTagged reports whether srv carries a state directory's ID at all.
func (e *Env) stateTagged(srv *remoteServer) bool {
	_, ok := tagValue(srv.Tags, stateTagPrefix)
	return ok
}

// ManagedElsewhereError refuses a run on a cluster whose servers carry
// another state directory's ID.
type ManagedElsewhereError struct {
	Cluster string
	StateID string
	// LastSeen is the latest updated_at Scaleway reports on that state's
	// servers: the last change anyone made to them (a tag, an install, a
	// reboot), not the last time that state directory ran, since a run that
	// changes nothing leaves no trace at Scaleway. Zero if none reported it.
	LastSeen time.Time
	Servers  []string // their IDs
}

func (e *ManagedElsewhereError) Error() string {
	seen := "unknown"
	if !e.LastSeen.IsZero() {
		seen = e.LastSeen.UTC().Format(time.RFC3339)
	}
	what := "server " + strings.Join(e.Servers, ", ")
	if len(e.Servers) > 1 {
		what = "servers " + strings.Join(e.Servers, ", ")
	}
	return fmt.Sprintf("cluster %s is managed from another state directory (id %s, last seen %s, the latest update Scaleway records on its %s); use that one, or adopt its servers with azs[].hosts[].adopt.serverID",
		e.Cluster, e.StateID, seen, what)
}

// managedElsewhere is the refusal for servers carrying state id.
func (e *Env) managedElsewhere(id string, srvs ...*remoteServer) *ManagedElsewhereError {
	out := &ManagedElsewhereError{Cluster: e.Cluster().Name, StateID: id}
	for _, s := range srvs {
		out.Servers = append(out.Servers, s.ID)
		if s.UpdatedAt.After(out.LastSeen) {
			out.LastSeen = s.UpdatedAt
		}
	}
	sort.Strings(out.Servers)
	return out
}

// checkOwnership is preflight's look at who manages the cluster: no server
// of it carries another state directory's ID, and no Dedibox order this
// state directory does not know of is being delivered for its offers.
func (e *Env) checkOwnership(ctx context.Context, c *scaleway.Client) error {
	if err := e.checkManagedHere(ctx, c, e.Layout().Hosts); err != nil {
		return err
	}
	return e.checkPendingOrders(ctx, c, e.Layout().Hosts)
}

// checkManagedHere observes, before anything is ordered, the servers of the
// project carrying this cluster's ownership tag in the zones of hosts,
// whichever state directory ordered them. If one carries another state
// directory's ID (and the inventory does not adopt it), the run is refused.
func (e *Env) checkManagedHere(ctx context.Context, c *scaleway.Client, hosts []inventory.HostPlan) error {
	srvs, err := e.clusterServers(ctx, c, hosts)
	if err != nil {
		return err
	}
	byState := map[string][]*remoteServer{}
	for _, s := range srvs {
		if id := e.otherState(s); id != "" && !e.adoptedBySomeone(s.ID) {
			byState[id] = append(byState[id], s)
		}
	}
	var worst *ManagedElsewhereError
	for id, ss := range byState {
		m := e.managedElsewhere(id, ss...)
		if worst == nil || m.LastSeen.After(worst.LastSeen) || (m.LastSeen.Equal(worst.LastSeen) && m.StateID < worst.StateID) {
			worst = m // the most recently active other state directory
		}
	}
	if worst != nil {
		return worst
	}
	return nil
}

// clusterServers lists the servers carrying this cluster's ownership tag in
// the zones hosts are in: Elastic Metal filtered by tag; Dedibox, whose list
// has no tags, by reading each server of an offer the inventory uses there.
func (e *Env) clusterServers(ctx context.Context, c *scaleway.Client, hosts []inventory.HostPlan) ([]*remoteServer, error) {
	type place struct {
		p    inventory.Provider
		zone scw.Zone
	}
	offers := map[place]map[string]bool{}
	var order []place
	for _, h := range hosts {
		zone, err := hostZone(h)
		if err != nil {
			return nil, err
		}
		k := place{h.Provider, zone}
		if offers[k] == nil {
			offers[k] = map[string]bool{}
			order = append(order, k)
		}
		offers[k][strings.ToUpper(h.Offer.Name)] = true
	}
	seen := map[string]bool{}
	var out []*remoteServer
	add := func(s *remoteServer) {
		if key := string(s.Provider) + "/" + s.ID; !seen[key] && s.Status != "deleting" && slices.Contains(s.Tags, e.ServerTag()) {
			seen[key] = true
			out = append(out, s)
		}
	}
	for _, k := range order {
		if k.p == inventory.ElasticMetal {
			err := e.scwRead(ctx, func(ctx context.Context) error {
				r, err := c.Metal.ListServers(&baremetal.ListServersRequest{Zone: k.zone, Tags: []string{e.ServerTag()}, ProjectID: &c.ProjectID}, scw.WithContext(ctx), scw.WithAllPages())
				for _, s := range listOrNil(r, err, func(r *baremetal.ListServersResponse) []*baremetal.Server { return r.Servers }) {
					add(fromMetal(s))
				}
				return err
			})
			if err != nil {
				return nil, scaleway.Wrap(err, "list Elastic Metal servers tagged %s in %s", e.ServerTag(), k.zone)
			}
			continue
		}
		var sums []*dedibox.ServerSummary
		err := e.scwRead(ctx, func(ctx context.Context) error {
			r, err := c.Dedibox.ListServers(&dedibox.ListServersRequest{Zone: k.zone, ProjectID: &c.ProjectID}, scw.WithContext(ctx), scw.WithAllPages())
			sums = listOrNil(r, err, func(r *dedibox.ListServersResponse) []*dedibox.ServerSummary { return r.Servers })
			return err
		})
		if err != nil {
			return nil, scaleway.Wrap(err, "list Dedibox servers in %s", k.zone)
		}
		for _, s := range sums {
			id := strconv.FormatUint(s.ID, 10)
			if !offers[k][strings.ToUpper(s.OfferName)] || seen[string(k.p)+"/"+id] {
				continue
			}
			srv, err := e.getServer(ctx, c, k.p, k.zone, id)
			if scaleway.IsNotFound(err) {
				continue // terminated since it was listed
			}
			if err != nil {
				return nil, err
			}
			add(srv)
		}
	}
	return out, nil
}
