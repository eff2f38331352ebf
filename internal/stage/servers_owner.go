package stage

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/scaleway"
	"github.com/tripod-dev/tripod/internal/state"
)

// stateTagPrefix tags a server with the state directory that ordered or
// adopted it: two state directories for one cluster would otherwise each
// take the other's servers for their own, or order every server twice.
const stateTagPrefix = "tripod-state="

// owner answers whose a server is, from its tags and the inventory: this
// cluster's (its ownership tag), which host's, which state directory's,
// whether the inventory adopts it, and whether another state directory
// manages the cluster. The stages that look at servers (servers,
// preflight, down) share it; it holds only what those questions use.
type owner struct {
	cluster string            // the cluster's name
	tag     string            // its ownership tag (Env.ServerTag)
	state   *state.Dir        // this state directory: its ID tags its servers, its journal its orders
	layout  *inventory.Layout // the hosts, and the servers they adopt
}

// owner is this run's owner.
func (e *Env) owner() owner {
	return owner{cluster: e.Cluster().Name, tag: e.ServerTag(), state: e.State, layout: e.Layout()}
}

// StateTag is the tag naming this run's state directory (state.Dir.ID).
func (e *Env) StateTag() string { return stateTag(e.State.ID) }

// stateTag is the tag naming state directory id.
func stateTag(id string) string { return stateTagPrefix + id }

// otherState returns the ID of the state directory srv is tagged for, if
// that is not this one. A server of the cluster without a state tag (built
// before tripod tagged them) is claimed by the first state directory that
// runs on it.
func (o owner) otherState(srv *scaleway.Server) string {
	if id, ok := tagValue(srv.Tags, stateTagPrefix); ok && id != o.state.ID {
		return id
	}
	return ""
}

// stateTagged reports whether srv carries a state directory's ID at all.
func stateTagged(srv *scaleway.Server) bool {
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
func (o owner) managedElsewhere(id string, srvs ...*scaleway.Server) *ManagedElsewhereError {
	out := &ManagedElsewhereError{Cluster: o.cluster, StateID: id}
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
func (o owner) checkOwnership(ctx context.Context, c *scaleway.Session) error {
	if err := o.checkManagedHere(ctx, c, o.layout.Hosts); err != nil {
		return err
	}
	return o.checkPendingOrders(ctx, c, o.layout.Hosts)
}

// checkManagedHere observes, before anything is ordered, the servers of the
// project carrying this cluster's ownership tag in the zones of hosts,
// whichever state directory ordered them. If one carries another state
// directory's ID (and the inventory does not adopt it), the run is refused.
func (o owner) checkManagedHere(ctx context.Context, c *scaleway.Session, hosts []inventory.HostPlan) error {
	srvs, err := o.clusterServers(ctx, c, hosts)
	if err != nil {
		return err
	}
	byState := map[string][]*scaleway.Server{}
	for _, s := range srvs {
		if id := o.otherState(s); id != "" && !o.adoptedBySomeone(s.ID) {
			byState[id] = append(byState[id], s)
		}
	}
	var worst *ManagedElsewhereError
	for id, ss := range byState {
		m := o.managedElsewhere(id, ss...)
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
func (o owner) clusterServers(ctx context.Context, c *scaleway.Session, hosts []inventory.HostPlan) ([]*scaleway.Server, error) {
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
	var out []*scaleway.Server
	add := func(s *scaleway.Server) {
		if key := string(s.Provider) + "/" + s.ID; !seen[key] && s.Status != "deleting" && slices.Contains(s.Tags, o.tag) {
			seen[key] = true
			out = append(out, s)
		}
	}
	for _, k := range order {
		srvs, err := c.ServersTagged(ctx, k.p, k.zone, o.tag, offers[k])
		if err != nil {
			return nil, err
		}
		for _, s := range srvs {
			add(s)
		}
	}
	return out, nil
}
