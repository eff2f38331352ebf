package stage

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/scaleway"
	"github.com/tripod-dev/tripod/internal/state"
)

// recordedOrder follows the journal's last completed order of h, if what it
// produced still exists (a server released by down is no longer h's).
func (s *servers) recordedOrder(ctx context.Context, c *scaleway.Session, h inventory.HostPlan) (*found, error) {
	rec, ok := s.env.State.Journal.LastDone(Servers, h.Name, actionOrder)
	if !ok {
		return nil, nil
	}
	zone, _ := hostZone(h)
	if id := rec.Data["server_id"]; id != "" {
		srv, err := c.GetServer(ctx, h.Provider, zone, id)
		switch {
		case scaleway.IsNotFound(err):
			return nil, nil
		case err != nil:
			return nil, err
		case srv.Status == "deleting":
			return nil, nil
		}
		return &found{Server: srv}, nil
	}
	id, err := strconv.ParseUint(rec.Data["service_id"], 10, 64)
	if err != nil {
		return nil, nil
	}
	return c.DediboxOrder(ctx, zone, id)
}

// taggedServer finds a server of the project carrying this cluster's and
// h's tags: how an order is found again when the journal is lost.
func (o owner) taggedServer(ctx context.Context, c *scaleway.Session, h inventory.HostPlan) (*scaleway.Server, error) {
	zone, _ := hostZone(h)
	return c.TaggedServer(ctx, h.Provider, zone, h.Offer.Name, []string{o.tag, hostTag(h.Name)})
}

// resolveIntents completes intents in j with data: what they were for
// was found to have happened.
func resolveIntents(j *state.Journal, intents []state.Record, data map[string]string) error {
	for _, in := range intents {
		if err := j.Complete(in, data); err != nil {
			return err
		}
	}
	return nil
}

// failIntents marks intents in j failed for reason: what they were for
// certainly never happened.
func failIntents(j *state.Journal, intents []state.Record, reason string) error {
	for _, in := range intents {
		if err := j.Fail(in, reason); err != nil {
			return err
		}
	}
	return nil
}

// orderClockSkew is how far Scaleway's clock may be behind ours when an
// order's creation is compared with the intent written just before it.
const orderClockSkew = 15 * time.Minute

// recoverDediboxOrder looks, after a crash between sending an order and
// recording it, for that order among the account's Dedibox orders (they
// carry no tags): one of h's offer, placed after the intent, not claimed by
// another host, delivered in h's datacenter if delivered yet. Found, the
// intent is completed with it; not found, the order never arrived and the
// intent is marked failed.
func (s *servers) recoverDediboxOrder(ctx context.Context, c *scaleway.Session, h inventory.HostPlan, intents []state.Record) (*found, error) {
	c.Orders.Lock()
	defer c.Orders.Unlock()
	return s.recoverDediboxOrderLocked(ctx, c, h, intents)
}

// recoverDediboxOrderLocked is recoverDediboxOrder with the order lock held.
func (s *servers) recoverDediboxOrderLocked(ctx context.Context, c *scaleway.Session, h inventory.HostPlan, intents []state.Record) (*found, error) {
	if len(intents) == 0 {
		return nil, nil // no order was sent without an answer
	}
	zone, _ := hostZone(h)
	svcs, err := c.DediboxOrders(ctx, zone)
	if err != nil {
		return nil, err
	}
	o, j := s.env.owner(), s.env.State.Journal
	claimed := s.claimedServices(c, h.Name)
	since := intents[0].Time.Add(-orderClockSkew)
	for _, svc := range svcs {
		if svc.Offer == nil || !strings.EqualFold(svc.Offer.Name, h.Offer.Name) || claimed[svc.ID] ||
			scaleway.Terminated(svc) || (svc.CreatedAt != nil && svc.CreatedAt.Before(since)) {
			continue
		}
		f, err := c.DediboxOrder(ctx, zone, svc.ID)
		if err != nil {
			return nil, err
		}
		if f == nil || (f.Server != nil && (!strings.EqualFold(f.Server.Placement, h.Placement) || o.ownedBy(f.Server, h) != "" ||
			otherHost(f.Server, h) || o.otherState(f.Server) != "" || o.adoptedBySomeone(f.Server.ID))) {
			continue
		}
		c.Orders.Claim(svc.ID, h.Name)
		return f, resolveIntents(j, intents, map[string]string{"service_id": strconv.FormatUint(svc.ID, 10), "recovered": "true"})
	}
	reason := fmt.Sprintf("no unclaimed %s order placed since %s was found", h.Offer.Name, since.Format(time.RFC3339))
	return nil, failIntents(j, intents, reason)
}

// adoptedBySomeone reports whether the inventory adopts server id.
func (o owner) adoptedBySomeone(id string) bool {
	for _, h := range o.layout.Hosts {
		if h.AdoptServerID == id {
			return true
		}
	}
	return false
}

// claimedServices are the Dedibox orders other hosts hold: recorded in the
// journal, or claimed earlier in this run (the order lock held).
func (s *servers) claimedServices(c *scaleway.Session, host string) map[uint64]bool {
	out := map[uint64]bool{}
	for _, r := range s.env.State.Journal.Records() {
		if r.Kind == state.Done && r.Stage == Servers && r.Action == actionOrder && r.Target != host {
			if id, err := strconv.ParseUint(r.Data["service_id"], 10, 64); err == nil {
				out[id] = true
			}
		}
	}
	for id, h := range c.Orders.Claimed() {
		if h != host {
			out[id] = true
		}
	}
	return out
}
