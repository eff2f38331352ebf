package stage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/scaleway"
)

// servers orders or adopts one Scaleway server per host, tags it as this
// cluster's, waits until it is delivered and publishes what it observed
// (HostFact) for the stages after it. An order costs money: it is journaled
// durably before it is sent, and an earlier order is looked for (journal,
// ownership tags, the account's orders) before a new one is placed.
type servers struct{ env *Env }

func (s *servers) Name() string { return Servers }

func (s *servers) Targets() []run.Target {
	return s.env.hostTargets(func(h inventory.HostPlan) []run.Key { return []run.Key{run.All(Preflight)} })
}

func (s *servers) Run(ctx context.Context, st *run.Step) error {
	e := s.env
	h, _ := e.Layout().Host(st.Key.Target)
	c, err := e.scw()
	if err != nil {
		return err
	}
	f, err := s.findServer(ctx, st, c, h)
	if err != nil {
		return err
	}
	ordered := f == nil
	if f == nil {
		f, err = s.orderServer(ctx, st, c, h)
		if errors.Is(err, run.ErrPlanned) {
			return s.planTags(ctx, st, h)
		}
		if err != nil {
			return err
		}
	}
	srv := f.Server
	if srv == nil && st.DryRun() {
		st.Skip("Dedibox order %d of %s is still being delivered", f.Service, h.Name)
		return s.planTags(ctx, st, h) // a plan does not wait: what follows plans from nothing
	}
	if srv == nil {
		zone, _ := hostZone(h)
		name := fmt.Sprintf("Dedibox order %d of %s delivered", f.Service, h.Name)
		if srv, err = c.FollowOrder(ctx, st.Progress, name, zone, f.Service); err != nil {
			return err
		}
	}
	if why := misplaced(srv, h); why != "" {
		return fmt.Errorf("server %s found for %s cannot be used: %s", srv.ID, h.Name, why)
	}
	if err := s.ensureTags(ctx, st, c, h, srv); err != nil {
		return err
	}
	if ordered {
		// Two state directories that looked at once both saw nothing and
		// both ordered. Once its own server carries its ID, each looks again:
		// the later one sees the other's and stops, loudly (what it ordered
		// stays: nothing paid for is rolled back).
		if err := e.owner().checkManagedHere(ctx, c, []inventory.HostPlan{h}); err != nil {
			return fmt.Errorf("server %s was ordered for %s, but %w", srv.ID, h.Name, err)
		}
	}
	if ok, _ := srv.Delivered(); !ok && st.DryRun() {
		st.Skip("server %s of %s is still %s", srv.ID, h.Name, srv.Status)
		return run.ErrPlanned
	}
	if srv, err = c.WaitDelivered(ctx, st.Progress, fmt.Sprintf("server %s of %s delivered", srv.ID, h.Name), srv); err != nil {
		return err
	}
	factsOf(st).SetHost(h.Name, hostFact(srv, h))
	st.Skip("server %s is %s (%s in %s)", srv.ID, srv.Status, srv.Offer, srv.Placement)
	return nil
}

// found is an existing server, or an order whose server is not delivered
// yet (a Dedibox service still delivering).
type found = scaleway.Order

// findServer observes: the adopted server; else the order the journal
// recorded; else a server carrying this cluster's and this host's tags; else
// the order a crash may have left unrecorded. nil means none exists.
func (s *servers) findServer(ctx context.Context, st *run.Step, c *scaleway.Session, h inventory.HostPlan) (*found, error) {
	o, j := s.env.owner(), s.env.State.Journal
	zone, err := hostZone(h)
	if err != nil {
		return nil, err
	}
	if h.AdoptServerID != "" {
		srv, err := c.GetServer(ctx, h.Provider, zone, h.AdoptServerID)
		if err != nil {
			return nil, fmt.Errorf("adopted server of %s: %w", h.Name, err)
		}
		if why := o.ownedBy(srv, h); why != "" {
			return nil, fmt.Errorf("cannot adopt server %s for %s: %s", srv.ID, h.Name, why)
		}
		return &found{Server: srv}, nil
	}
	if f, err := s.recordedOrder(ctx, c, h); f != nil || err != nil {
		return f, err
	}
	srv, err := o.taggedServer(ctx, c, h)
	if err != nil {
		return nil, err
	}
	intents := j.Unresolved(Servers, h.Name, actionOrder)
	if srv != nil && len(intents) == 0 && !stateTagged(srv) {
		return nil, fmt.Errorf("server %s carries %s and %s but no state directory's ID, and this state directory has no record of it; if it is this cluster's from before tripod tagged servers with %s, adopt it with azs[].hosts[].adopt.serverID",
			srv.ID, o.tag, hostTag(h.Name), stateTagPrefix)
	}
	if srv != nil {
		return &found{Server: srv}, resolveIntents(j, intents, map[string]string{"server_id": srv.ID})
	}
	if len(intents) == 0 {
		return nil, nil
	}
	st.Progress("an earlier order of %s may have been sent without being recorded; looking for it", h.Name)
	if h.Provider == inventory.Dedibox {
		return s.recoverDediboxOrder(ctx, c, h, intents)
	}
	// An Elastic Metal order carries its tags from the start: none tagged
	// means the order never reached Scaleway.
	return nil, failIntents(j, intents, "no server carrying the ownership and host tags exists")
}

// ensureTags puts the ownership, host and state tags (and, on an adopted
// server, the adopted tag) on srv, keeping its others. A server another
// state directory's ID is on is refused, unless the inventory adopts it.
func (s *servers) ensureTags(ctx context.Context, st *run.Step, c *scaleway.Session, h inventory.HostPlan, srv *scaleway.Server) error {
	o := s.env.owner()
	if why := o.ownedBy(srv, h); why != "" {
		return fmt.Errorf("server %s cannot be %s's: %s", srv.ID, h.Name, why)
	}
	other := o.otherState(srv)
	if other != "" && h.AdoptServerID != srv.ID {
		return o.managedElsewhere(other, srv)
	}
	want := o.wantTags(h)
	var tags []string
	for _, t := range srv.Tags {
		// Adopting takes a server over from the state directory it carries.
		if other == "" || t != stateTagPrefix+other {
			tags = append(tags, t)
		}
	}
	for _, t := range want {
		if !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	if slices.Equal(tags, srv.Tags) {
		return nil
	}
	m := run.Mutation{API: "scaleway", Verb: "tag", Object: fmt.Sprintf("server %s (%s)", srv.ID, h.Name), Detail: strings.Join(want, ", "),
		Request: scaleway.ByProvider(srv.Provider, scaleway.ReqDediboxTags, scaleway.ReqMetalUpdate)}
	return st.Mutate(ctx, m, func(ctx context.Context) error {
		if err := c.SetTags(ctx, srv, tags); err != nil {
			return err
		}
		srv.Tags = tags
		return nil
	})
}

// planTags plans the tags of a Dedibox server still to be ordered or
// delivered (a Dedibox order cannot carry tags; an Elastic Metal one does)
// and returns run.ErrPlanned: what follows plans from nothing.
func (s *servers) planTags(ctx context.Context, st *run.Step, h inventory.HostPlan) error {
	if h.Provider == inventory.ElasticMetal {
		return run.ErrPlanned
	}
	m := run.Mutation{API: "scaleway", Verb: "tag", Object: fmt.Sprintf("the server of %s, once delivered", h.Name),
		Detail: strings.Join(s.env.owner().wantTags(h), ", "), Request: scaleway.ReqDediboxTags}
	return st.Mutate(ctx, m, nil)
}

// hostZone is the API zone h's server is managed in.
func hostZone(h inventory.HostPlan) (scw.Zone, error) {
	return scaleway.HostZone(h.Provider, h.Placement)
}

// misplaced says how srv differs from what the inventory says of h, or "".
func misplaced(srv *scaleway.Server, h inventory.HostPlan) string {
	switch {
	case srv.Placement != "" && !strings.EqualFold(srv.Placement, h.Placement):
		return fmt.Sprintf("it is in %s, not %s as the inventory says", srv.Placement, h.Placement)
	case srv.Offer != "" && !strings.EqualFold(srv.Offer, h.Offer.Name):
		return fmt.Sprintf("it is a %s, not a %s as the inventory says", srv.Offer, h.Offer.Name)
	}
	return ""
}

// hostFact is what the stages after servers need to know of srv.
func hostFact(srv *scaleway.Server, h inventory.HostPlan) HostFact {
	return HostFact{ServerID: srv.ID, Provider: h.Provider, Zone: string(srv.Zone), PublicIP: srv.PublicIP, Adopted: h.AdoptServerID != ""}
}
