package stage

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	baremetal "github.com/scaleway/scaleway-sdk-go/api/baremetal/v1"
	dedibox "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/scaleway"
	"github.com/tripod-dev/tripod/internal/state"
)

// recordedOrder follows the journal's last completed order of h, if what it
// produced still exists (a server released by down is no longer h's).
func (e *Env) recordedOrder(ctx context.Context, c *scaleway.Client, h inventory.HostPlan) (*found, error) {
	rec, ok := e.State.Journal.LastDone(Servers, h.Name, actionOrder)
	if !ok {
		return nil, nil
	}
	zone, _ := hostZone(h)
	if id := rec.Data["server_id"]; id != "" {
		srv, err := e.getServer(ctx, c, h.Provider, zone, id)
		switch {
		case scaleway.IsNotFound(err):
			return nil, nil
		case err != nil:
			return nil, err
		case srv.Status == "deleting":
			return nil, nil
		}
		return &found{srv: srv}, nil
	}
	id, err := strconv.ParseUint(rec.Data["service_id"], 10, 64)
	if err != nil {
		return nil, nil
	}
	return e.serviceState(ctx, c, h, zone, id)
}

// serviceState reads a Dedibox order: its server once delivered, the order
// itself while delivering, nil once terminated.
func (e *Env) serviceState(ctx context.Context, c *scaleway.Client, h inventory.HostPlan, zone scw.Zone, id uint64) (*found, error) {
	var svc *dedibox.Service
	err := e.scwRead(ctx, func(ctx context.Context) error {
		var err error
		svc, err = c.Dedibox.GetService(&dedibox.GetServiceRequest{Zone: zone, ServiceID: id}, scw.WithContext(ctx))
		return err
	})
	switch {
	case scaleway.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, scaleway.Wrap(err, "read Dedibox order %d of %s", id, h.Name)
	case terminated(svc):
		return nil, nil
	case svc.ResourceID == nil:
		return &found{service: id}, nil
	}
	srv, err := e.getServer(ctx, c, h.Provider, zone, strconv.FormatUint(*svc.ResourceID, 10))
	if scaleway.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &found{srv: srv, service: id}, nil
}

func terminated(svc *dedibox.Service) bool {
	switch svc.ProvisioningStatus {
	case dedibox.ServiceProvisioningStatusExpiring, dedibox.ServiceProvisioningStatusExpired, dedibox.ServiceProvisioningStatusError:
		return true
	}
	return svc.TerminatedAt != nil
}

// taggedServer finds a server of the project carrying this cluster's and
// h's tags: how an order is found again when the journal is lost.
func (e *Env) taggedServer(ctx context.Context, c *scaleway.Client, h inventory.HostPlan) (*remoteServer, error) {
	zone, _ := hostZone(h)
	if h.Provider == inventory.ElasticMetal {
		var out *remoteServer
		err := e.scwRead(ctx, func(ctx context.Context) error {
			r, err := c.Metal.ListServers(&baremetal.ListServersRequest{Zone: zone, Tags: []string{e.ServerTag(), hostTag(h.Name)}, ProjectID: &c.ProjectID}, scw.WithContext(ctx), scw.WithAllPages())
			for _, s := range listOrNil(r, err, func(r *baremetal.ListServersResponse) []*baremetal.Server { return r.Servers }) {
				if s.Status != baremetal.ServerStatusDeleting {
					out = fromMetal(s)
				}
			}
			return err
		})
		return out, scaleway.Wrap(err, "list Elastic Metal servers tagged %s in %s", hostTag(h.Name), zone)
	}
	// A Dedibox server summary has no tags: read each server of the offer.
	var sums []*dedibox.ServerSummary
	err := e.scwRead(ctx, func(ctx context.Context) error {
		r, err := c.Dedibox.ListServers(&dedibox.ListServersRequest{Zone: zone, ProjectID: &c.ProjectID}, scw.WithContext(ctx), scw.WithAllPages())
		sums = listOrNil(r, err, func(r *dedibox.ListServersResponse) []*dedibox.ServerSummary { return r.Servers })
		return err
	})
	if err != nil {
		return nil, scaleway.Wrap(err, "list Dedibox servers in %s", zone)
	}
	for _, s := range sums {
		if !strings.EqualFold(s.OfferName, h.Offer.Name) {
			continue
		}
		srv, err := e.getServer(ctx, c, h.Provider, zone, strconv.FormatUint(s.ID, 10))
		if scaleway.IsNotFound(err) {
			continue // terminated since it was listed (another host's release-servers, in the same down)
		}
		if err != nil {
			return nil, err
		}
		if e.hasOurTags(srv, h) {
			return srv, nil
		}
	}
	return nil, nil
}

func (e *Env) resolveIntents(intents []state.Record, data map[string]string) error {
	for _, in := range intents {
		if err := e.State.Journal.Complete(in, data); err != nil {
			return err
		}
	}
	return nil
}

func (e *Env) failIntents(intents []state.Record, reason string) error {
	for _, in := range intents {
		if err := e.State.Journal.Fail(in, reason); err != nil {
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
func (e *Env) recoverDediboxOrder(ctx context.Context, c *scaleway.Client, h inventory.HostPlan, intents []state.Record) (*found, error) {
	sh := e.scwShared()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return e.recoverDediboxOrderLocked(ctx, c, h, intents)
}

// recoverDediboxOrderLocked is recoverDediboxOrder with the order lock held.
func (e *Env) recoverDediboxOrderLocked(ctx context.Context, c *scaleway.Client, h inventory.HostPlan, intents []state.Record) (*found, error) {
	if len(intents) == 0 {
		return nil, nil // no order was sent without an answer
	}
	zone, _ := hostZone(h)
	sh := e.scwShared()
	var svcs []*dedibox.Service
	err := e.scwRead(ctx, func(ctx context.Context) error {
		r, err := c.Dedibox.ListServices(&dedibox.ListServicesRequest{Zone: zone, ProjectID: &c.ProjectID}, scw.WithContext(ctx), scw.WithAllPages())
		svcs = listOrNil(r, err, func(r *dedibox.ListServicesResponse) []*dedibox.Service { return r.Services })
		return err
	})
	if err != nil {
		return nil, scaleway.Wrap(err, "list Dedibox orders in %s", zone)
	}
	claimed := e.claimedServices(h.Name)
	since := intents[0].Time.Add(-orderClockSkew)
	for _, svc := range svcs {
		if svc.Offer == nil || !strings.EqualFold(svc.Offer.Name, h.Offer.Name) || claimed[svc.ID] ||
			terminated(svc) || (svc.CreatedAt != nil && svc.CreatedAt.Before(since)) {
			continue
		}
		f, err := e.serviceState(ctx, c, h, zone, svc.ID)
		if err != nil {
			return nil, err
		}
		if f == nil || (f.srv != nil && (!strings.EqualFold(f.srv.Placement, h.Placement) || e.ownedBy(f.srv, h) != "" ||
			otherHost(f.srv, h) || e.otherState(f.srv) != "" || e.adoptedBySomeone(f.srv.ID))) {
			continue
		}
		sh.claimed[svc.ID] = h.Name
		return f, e.resolveIntents(intents, map[string]string{"service_id": strconv.FormatUint(svc.ID, 10), "recovered": "true"})
	}
	reason := fmt.Sprintf("no unclaimed %s order placed since %s was found", h.Offer.Name, since.Format(time.RFC3339))
	return nil, e.failIntents(intents, reason)
}

// otherHost reports whether srv is tagged for another host (of any cluster).
func otherHost(srv *remoteServer, h inventory.HostPlan) bool {
	o, ok := tagValue(srv.Tags, hostTagPrefix)
	return ok && o != h.Name
}

// adoptedBySomeone reports whether the inventory adopts server id.
func (e *Env) adoptedBySomeone(id string) bool {
	for _, h := range e.Layout().Hosts {
		if h.AdoptServerID == id {
			return true
		}
	}
	return false
}

// claimedServices are the Dedibox orders other hosts hold: recorded in the
// journal, or claimed earlier in this run.
func (e *Env) claimedServices(host string) map[uint64]bool {
	out := map[uint64]bool{}
	for _, r := range e.State.Journal.Records() {
		if r.Kind == state.Done && r.Stage == Servers && r.Action == actionOrder && r.Target != host {
			if id, err := strconv.ParseUint(r.Data["service_id"], 10, 64); err == nil {
				out[id] = true
			}
		}
	}
	for id, h := range e.scwShared().claimed {
		if h != host {
			out[id] = true
		}
	}
	return out
}
