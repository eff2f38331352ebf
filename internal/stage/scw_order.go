package stage

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	baremetal "github.com/scaleway/scaleway-sdk-go/api/baremetal/v1"
	dedibox "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/scaleway"
	"github.com/tripod-dev/tripod/internal/state"
)

// actionOrder is the journal action of a server order.
const actionOrder = "order"

// orderServer places h's order, unless another state directory has servers
// of this cluster (or, for Dedibox, orders being delivered) where h goes:
// journaled (fsynced) before it is sent, completed with the service or
// server ID after. An order without an answer may have been taken: it is
// looked for (sendOnce) before it is placed again. Dedibox orders of the run
// are placed, and looked for, one at a time under the lock crash recovery
// claims orders under, so a host never takes an order placed for another
// one in this run.
func (e *Env) orderServer(ctx context.Context, st *run.Step, c *scaleway.Client, h inventory.HostPlan) (*found, error) {
	zone, err := hostZone(h)
	if err != nil {
		return nil, err
	}
	offerID, err := e.offerID(ctx, c, h, zone)
	if err != nil {
		return nil, err
	}
	kind := "Dedibox order, billed monthly"
	if h.Provider == inventory.ElasticMetal {
		kind = "Elastic Metal order, billed hourly; Proxmox VE is installed by the os stage"
	}
	m := run.Mutation{API: "scaleway", Verb: "order", Object: fmt.Sprintf("server %s (%s in %s)", h.Name, h.Offer.Name, h.Placement), Detail: kind,
		Request: byProvider(h.Provider, reqDediboxOrder, reqMetalOrder)}
	if h.Provider == inventory.ElasticMetal {
		// Observe again right before ordering: another state directory
		// may have ordered for this cluster since preflight looked.
		if err := e.checkManagedHere(ctx, c, []inventory.HostPlan{h}); err != nil {
			return nil, err
		}
		return e.orderMetalOnce(ctx, st, c, h, m, zone, offerID)
	}
	return e.orderDediboxOnce(ctx, st, c, h, m, zone, offerID)
}

// orderDediboxOnce sends a Dedibox order, and after one without an answer
// looks for it among the account's orders (they carry no tags).
func (e *Env) orderDediboxOnce(ctx context.Context, st *run.Step, c *scaleway.Client, h inventory.HostPlan, m run.Mutation, zone scw.Zone, offerID string) (*found, error) {
	sh := e.scwShared()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	// Observe again right before ordering, with none of this run's orders
	// in flight: another state directory's servers, or its orders still
	// being delivered (they carry no tags until then).
	if err := e.checkManagedHere(ctx, c, []inventory.HostPlan{h}); err != nil {
		return nil, err
	}
	if err := e.checkPendingOrdersLocked(ctx, c, []inventory.HostPlan{h}); err != nil {
		return nil, err
	}
	var f *found
	err := e.sendOnce(ctx, st, m, func(ctx context.Context) error {
		id, err := e.orderDedibox(ctx, c, h, zone, offerID)
		if err == nil {
			sh.claimed[id] = h.Name
			f = &found{service: id}
		}
		return err
	}, func(ctx context.Context) (bool, error) {
		var err error
		f, err = e.recoverDediboxOrderLocked(ctx, c, h, e.State.Journal.Unresolved(Servers, h.Name, actionOrder))
		return f != nil, err
	})
	return f, err
}

// orderMetalOnce sends an Elastic Metal order, and after one without an
// answer looks for its server by the tags the order carries.
func (e *Env) orderMetalOnce(ctx context.Context, st *run.Step, c *scaleway.Client, h inventory.HostPlan, m run.Mutation, zone scw.Zone, offerID string) (*found, error) {
	var srv *remoteServer
	err := e.sendOnce(ctx, st, m, func(ctx context.Context) error {
		var err error
		srv, err = e.orderMetal(ctx, c, h, zone, offerID)
		return err
	}, func(ctx context.Context) (bool, error) {
		var err error
		if srv, err = e.taggedServer(ctx, c, h); err != nil {
			return false, err
		}
		intents := e.State.Journal.Unresolved(Servers, h.Name, actionOrder)
		if srv == nil {
			return false, e.failIntents(intents, "no server carrying the ownership and host tags exists")
		}
		return true, e.resolveIntents(intents, map[string]string{"server_id": srv.ID})
	})
	return &found{srv: srv}, err
}

func (e *Env) orderDedibox(ctx context.Context, c *scaleway.Client, h inventory.HostPlan, zone scw.Zone, offerID string) (uint64, error) {
	oid, _ := strconv.ParseUint(offerID, 10, 64)
	intent, err := e.State.Journal.Intent(Servers, h.Name, actionOrder, map[string]string{"provider": string(h.Provider), "offer": h.Offer.Name, "placement": h.Placement})
	if err != nil {
		return 0, err
	}
	dc := strings.ToUpper(h.Placement)
	svc, err := c.Dedibox.CreateServer(&dedibox.CreateServerRequest{Zone: zone, OfferID: oid, ProjectID: c.ProjectID, DatacenterName: &dc}, scw.WithContext(ctx))
	if err != nil {
		return 0, e.orderFailed(intent, err)
	}
	id := svc.ID
	return id, e.State.Journal.Complete(intent, map[string]string{"service_id": strconv.FormatUint(id, 10)})
}

func (e *Env) orderMetal(ctx context.Context, c *scaleway.Client, h inventory.HostPlan, zone scw.Zone, offerID string) (*remoteServer, error) {
	intent, err := e.State.Journal.Intent(Servers, h.Name, actionOrder, map[string]string{"provider": string(h.Provider), "offer": h.Offer.Name, "placement": h.Placement})
	if err != nil {
		return nil, err
	}
	// No inline install: ordering and installing stay separate stages, so an
	// install can be observed, retried and skipped on its own.
	s, err := c.Metal.CreateServer(&baremetal.CreateServerRequest{
		Zone: zone, OfferID: offerID, ProjectID: &c.ProjectID, Name: h.Name,
		Description: fmt.Sprintf("tripod cluster %s, host %s", e.Cluster().Name, h.Name),
		Tags:        []string{e.ServerTag(), hostTag(h.Name), e.StateTag()}, OptionIDs: []string{},
	}, scw.WithContext(ctx))
	if err != nil {
		return nil, e.orderFailed(intent, err)
	}
	srv := fromMetal(s)
	return srv, e.State.Journal.Complete(intent, map[string]string{"server_id": srv.ID})
}

// orderFailed records a refused order as failed; an order without an
// answer stays unresolved, to be looked for before ordering again.
func (e *Env) orderFailed(intent state.Record, err error) error {
	if scaleway.Answered(err) {
		if jerr := e.State.Journal.Fail(intent, scaleway.Evidence(err).Error()); jerr != nil {
			return fmt.Errorf("%w (and recording it failed: %v)", scaleway.Evidence(err), jerr)
		}
	}
	return scaleway.Evidence(err)
}

// offerID finds h's offer ID in its zone (Dedibox: a number, as a string).
func (e *Env) offerID(ctx context.Context, c *scaleway.Client, h inventory.HostPlan, zone scw.Zone) (string, error) {
	key := fmt.Sprintf("%s/%s/%s", h.Provider, zone, strings.ToUpper(h.Offer.Name))
	if v, ok := e.scwShared().offers.Load(key); ok {
		return v.(string), nil
	}
	var id string
	err := e.scwRead(ctx, func(ctx context.Context) error {
		if h.Provider == inventory.ElasticMetal {
			name := h.Offer.Name
			r, err := c.Metal.ListOffers(&baremetal.ListOffersRequest{Zone: zone, Name: &name}, scw.WithContext(ctx), scw.WithAllPages())
			for _, o := range listOrNil(r, err, func(r *baremetal.ListOffersResponse) []*baremetal.Offer { return r.Offers }) {
				if strings.EqualFold(o.Name, name) {
					id = o.ID
				}
			}
			return err
		}
		r, err := c.Dedibox.ListOffers(&dedibox.ListOffersRequest{Zone: zone}, scw.WithContext(ctx), scw.WithAllPages())
		for _, o := range listOrNil(r, err, func(r *dedibox.ListOffersResponse) []*dedibox.Offer { return r.Offers }) {
			if strings.EqualFold(o.Name, h.Offer.Name) && o.ServerInfo != nil {
				id = strconv.FormatUint(o.ID, 10)
			}
		}
		return err
	})
	if err != nil {
		return "", scaleway.Wrap(err, "find offer %s in %s", h.Offer.Name, zone)
	}
	if id == "" {
		return "", fmt.Errorf("offer %s is not sold in %s", h.Offer.Name, zone)
	}
	e.scwShared().offers.Store(key, id)
	return id, nil
}

// listOrNil returns the items of a list response, or none on error.
func listOrNil[R any, T any](r *R, err error, items func(*R) []T) []T {
	if err != nil || r == nil {
		return nil
	}
	return items(r)
}

// setTags replaces srv's tags: a replacement, safe to repeat, so a 5xx
// (which the transport does not retry on POST and PATCH) is retried here.
func (e *Env) setTags(ctx context.Context, c *scaleway.Client, srv *remoteServer, tags []string) error {
	return scaleway.Evidence(e.scwRead(ctx, func(ctx context.Context) error {
		if srv.Provider == inventory.ElasticMetal {
			_, err := c.Metal.UpdateServer(&baremetal.UpdateServerRequest{Zone: srv.Zone, ServerID: srv.ID, Tags: &tags}, scw.WithContext(ctx))
			return err
		}
		id, _ := strconv.ParseUint(srv.ID, 10, 64)
		_, err := c.Dedibox.UpdateServerTags(&dedibox.UpdateServerTagsRequest{Zone: srv.Zone, ServerID: id, Tags: tags}, scw.WithContext(ctx))
		return err
	}))
}

// followService waits until a Dedibox order is delivered and returns its
// server.
func (e *Env) followService(ctx context.Context, st *run.Step, c *scaleway.Client, h inventory.HostPlan, service uint64) (*remoteServer, error) {
	zone, _ := hostZone(h)
	var serverID uint64
	name := fmt.Sprintf("Dedibox order %d of %s delivered", service, h.Name)
	err := e.scwWait(ctx, st, name, deliveryPoll, deliveryTimeout, func(ctx context.Context) (bool, string, error) {
		svc, err := c.Dedibox.GetService(&dedibox.GetServiceRequest{Zone: zone, ServiceID: service}, scw.WithContext(ctx))
		if err != nil {
			return false, "", scaleway.Evidence(err)
		}
		switch svc.ProvisioningStatus {
		case dedibox.ServiceProvisioningStatusError, dedibox.ServiceProvisioningStatusExpired, dedibox.ServiceProvisioningStatusExpiring:
			return false, "", fmt.Errorf("order %d is %s", service, svc.ProvisioningStatus)
		}
		if svc.ResourceID != nil && svc.ProvisioningStatus == dedibox.ServiceProvisioningStatusReady {
			serverID = *svc.ResourceID
			return true, "", nil
		}
		return false, string(svc.ProvisioningStatus), nil
	})
	if err != nil {
		return nil, err
	}
	return e.getServer(ctx, c, h.Provider, zone, strconv.FormatUint(serverID, 10))
}
