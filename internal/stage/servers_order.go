package stage

import (
	"context"
	"fmt"
	"strconv"

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
func (s *servers) orderServer(ctx context.Context, st *run.Step, c *scaleway.Session, h inventory.HostPlan) (*found, error) {
	zone, err := hostZone(h)
	if err != nil {
		return nil, err
	}
	offerID, err := c.OfferID(ctx, h.Provider, zone, h.Offer.Name)
	if err != nil {
		return nil, err
	}
	kind := "Dedibox order, billed monthly"
	if h.Provider == inventory.ElasticMetal {
		kind = "Elastic Metal order, billed hourly; Proxmox VE is installed by the os stage"
	}
	m := run.Mutation{API: "scaleway", Verb: "order", Object: fmt.Sprintf("server %s (%s in %s)", h.Name, h.Offer.Name, h.Placement), Detail: kind,
		Request: scaleway.ByProvider(h.Provider, scaleway.ReqDediboxOrder, scaleway.ReqMetalOrder)}
	if h.Provider == inventory.ElasticMetal {
		// Observe again right before ordering: another state directory
		// may have ordered for this cluster since preflight looked.
		if err := s.env.owner().checkManagedHere(ctx, c, []inventory.HostPlan{h}); err != nil {
			return nil, err
		}
		return s.orderMetalOnce(ctx, st, c, h, m, zone, offerID)
	}
	return s.orderDediboxOnce(ctx, st, c, h, m, zone, offerID)
}

// orderDediboxOnce sends a Dedibox order, and after one without an answer
// looks for it among the account's orders (they carry no tags).
func (s *servers) orderDediboxOnce(ctx context.Context, st *run.Step, c *scaleway.Session, h inventory.HostPlan, m run.Mutation, zone scw.Zone, offerID string) (*found, error) {
	c.Orders.Lock()
	defer c.Orders.Unlock()
	// Observe again right before ordering, with none of this run's orders
	// in flight: another state directory's servers, or its orders still
	// being delivered (they carry no tags until then).
	o := s.env.owner()
	if err := o.checkManagedHere(ctx, c, []inventory.HostPlan{h}); err != nil {
		return nil, err
	}
	if err := o.checkPendingOrdersLocked(ctx, c, []inventory.HostPlan{h}); err != nil {
		return nil, err
	}
	var f *found
	err := sendOnce(ctx, st, c, m, func(ctx context.Context) error {
		id, err := s.orderDedibox(ctx, c, h, zone, offerID)
		if err == nil {
			c.Orders.Claim(id, h.Name)
			f = &found{Service: id}
		}
		return err
	}, func(ctx context.Context) (bool, error) {
		var err error
		f, err = s.recoverDediboxOrderLocked(ctx, c, h, s.env.State.Journal.Unresolved(Servers, h.Name, actionOrder))
		return f != nil, err
	})
	return f, err
}

// orderMetalOnce sends an Elastic Metal order, and after one without an
// answer looks for its server by the tags the order carries.
func (s *servers) orderMetalOnce(ctx context.Context, st *run.Step, c *scaleway.Session, h inventory.HostPlan, m run.Mutation, zone scw.Zone, offerID string) (*found, error) {
	o, j := s.env.owner(), s.env.State.Journal
	var srv *scaleway.Server
	err := sendOnce(ctx, st, c, m, func(ctx context.Context) error {
		var err error
		srv, err = s.orderMetal(ctx, c, h, zone, offerID)
		return err
	}, func(ctx context.Context) (bool, error) {
		var err error
		if srv, err = o.taggedServer(ctx, c, h); err != nil {
			return false, err
		}
		intents := j.Unresolved(Servers, h.Name, actionOrder)
		if srv == nil {
			return false, failIntents(j, intents, "no server carrying the ownership and host tags exists")
		}
		return true, resolveIntents(j, intents, map[string]string{"server_id": srv.ID})
	})
	return &found{Server: srv}, err
}

// orderDedibox journals the order's intent (fsynced), then sends it.
func (s *servers) orderDedibox(ctx context.Context, c *scaleway.Session, h inventory.HostPlan, zone scw.Zone, offerID string) (uint64, error) {
	j := s.env.State.Journal
	intent, err := j.Intent(Servers, h.Name, actionOrder, map[string]string{"provider": string(h.Provider), "offer": h.Offer.Name, "placement": h.Placement})
	if err != nil {
		return 0, err
	}
	id, err := c.OrderDedibox(ctx, zone, offerID, h.Placement)
	if err != nil {
		return 0, orderFailed(j, intent, err)
	}
	return id, j.Complete(intent, map[string]string{"service_id": strconv.FormatUint(id, 10)})
}

// orderMetal journals the order's intent (fsynced), then sends it, tagged
// as this cluster's and h's from the start.
func (s *servers) orderMetal(ctx context.Context, c *scaleway.Session, h inventory.HostPlan, zone scw.Zone, offerID string) (*scaleway.Server, error) {
	o, j := s.env.owner(), s.env.State.Journal
	intent, err := j.Intent(Servers, h.Name, actionOrder, map[string]string{"provider": string(h.Provider), "offer": h.Offer.Name, "placement": h.Placement})
	if err != nil {
		return nil, err
	}
	srv, err := c.OrderMetal(ctx, zone, offerID, h.Name, fmt.Sprintf("tripod cluster %s, host %s", o.cluster, h.Name),
		[]string{o.tag, hostTag(h.Name), stateTag(o.state.ID)})
	if err != nil {
		return nil, orderFailed(j, intent, err)
	}
	return srv, j.Complete(intent, map[string]string{"server_id": srv.ID})
}

// orderFailed records a refused order as failed; an order without an
// answer stays unresolved, to be looked for before ordering again.
func orderFailed(j *state.Journal, intent state.Record, err error) error {
	if scaleway.Answered(err) {
		if jerr := j.Fail(intent, scaleway.Evidence(err).Error()); jerr != nil {
			return fmt.Errorf("%w (and recording it failed: %v)", scaleway.Evidence(err), jerr)
		}
	}
	return scaleway.Evidence(err)
}

// sendOnce sends a create that must not happen twice through the gate, as
// many mutations m as it takes (scaleway.Session.SendOnce): look reports
// whether a send without an answer took effect after all.
func sendOnce(ctx context.Context, st *run.Step, c *scaleway.Session, m run.Mutation, send func(context.Context) error, look func(context.Context) (bool, error)) error {
	gate := func(ctx context.Context, send func(context.Context) error) error { return st.Mutate(ctx, m, send) }
	return c.SendOnce(ctx, m.Verb+" "+m.Object, gate, st.Warn, st.Progress, send, look)
}
