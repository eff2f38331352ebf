package stage

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/scaleway"
	"github.com/tripod-dev/tripod/internal/state"
)

// UnknownOrdersError refuses to order while Dedibox orders this state
// directory does not know of are being delivered: a Dedibox order carries
// no tags (dedibox/v1 CreateServer takes none, and its server is hidden
// until delivered), so another state directory's orders for this cluster
// look, until their servers are delivered and tagged, like any other order
// of the project.
type UnknownOrdersError struct {
	Cluster string
	Offer   string
	Orders  []uint64
	Since   time.Time // when the oldest of them was placed
}

func (e *UnknownOrdersError) Error() string {
	ids := make([]string, len(e.Orders))
	for i, id := range e.Orders {
		ids[i] = strconv.FormatUint(id, 10)
	}
	what, verb := "Dedibox order "+ids[0], "is"
	if len(ids) > 1 {
		what, verb = "Dedibox orders "+strings.Join(ids, ", "), "are"
	}
	placed := ""
	if !e.Since.IsZero() {
		placed = ", placed since " + e.Since.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("cluster %s: %s (%s%s) %s being delivered to this project and not this state directory's; if another state directory placed them for this cluster use that one, otherwise run again once they are delivered",
		e.Cluster, what, e.Offer, placed, verb)
}

// checkPendingOrders refuses while more Dedibox orders of the offers hosts
// use are being delivered to the project than this state directory may
// have placed without recording them (its unresolved order intents there).
// It takes the order lock, so none of this run's own orders is in flight.
func (o owner) checkPendingOrders(ctx context.Context, c *scaleway.Session, hosts []inventory.HostPlan) error {
	c.Orders.Lock()
	defer c.Orders.Unlock()
	return o.checkPendingOrdersLocked(ctx, c, hosts)
}

// checkPendingOrdersLocked is checkPendingOrders with the order lock held.
func (o owner) checkPendingOrdersLocked(ctx context.Context, c *scaleway.Session, hosts []inventory.HostPlan) error {
	type scope struct {
		zone       scw.Zone
		offers     map[string]bool
		unanswered int
	}
	scopes := map[scw.Region]*scope{}
	var regions []scw.Region
	for _, h := range hosts {
		if h.Provider != inventory.Dedibox || h.AdoptServerID != "" {
			continue
		}
		zone, err := hostZone(h)
		if err != nil {
			return err
		}
		r := scaleway.RegionOf(zone)
		if scopes[r] == nil {
			scopes[r] = &scope{zone: zone, offers: map[string]bool{}}
			regions = append(regions, r)
		}
		scopes[r].offers[strings.ToUpper(h.Offer.Name)] = true
	}
	for _, h := range o.layout.Hosts {
		if zone, err := hostZone(h); err == nil && h.Provider == inventory.Dedibox && scopes[scaleway.RegionOf(zone)] != nil {
			scopes[scaleway.RegionOf(zone)].unanswered += len(o.state.Journal.Unresolved(Servers, h.Name, actionOrder))
		}
	}
	known := o.knownServices(c)
	for _, r := range regions {
		sc := scopes[r]
		svcs, err := c.DediboxOrders(ctx, sc.zone)
		if err != nil {
			return err
		}
		unknown := &UnknownOrdersError{Cluster: o.cluster}
		for _, svc := range svcs {
			if svc.Offer == nil || !sc.offers[strings.ToUpper(svc.Offer.Name)] || known[svc.ID] || scaleway.Terminated(svc) || scaleway.OrderDelivered(svc) ||
				slices.Contains(unknown.Orders, svc.ID) {
				continue
			}
			unknown.Offer = svc.Offer.Name
			unknown.Orders = append(unknown.Orders, svc.ID)
			if svc.CreatedAt != nil && (unknown.Since.IsZero() || svc.CreatedAt.Before(unknown.Since)) {
				unknown.Since = *svc.CreatedAt
			}
		}
		if len(unknown.Orders) > sc.unanswered {
			slices.Sort(unknown.Orders)
			return unknown
		}
	}
	return nil
}

// knownServices are the Dedibox orders this state directory placed: those
// its journal completed, and those claimed in this run (the order lock
// held).
func (o owner) knownServices(c *scaleway.Session) map[uint64]bool {
	out := map[uint64]bool{}
	for _, r := range o.state.Journal.Records() {
		if r.Kind == state.Done && r.Stage == Servers && r.Action == actionOrder {
			if id, err := strconv.ParseUint(r.Data["service_id"], 10, 64); err == nil {
				out[id] = true
			}
		}
	}
	for id := range c.Orders.Claimed() {
		out[id] = true
	}
	return out
}
