package stage

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/scaleway"
)

// preflight checks the account before anything is ordered: credentials, no
// server of the cluster carrying another state directory's ID (nor Dedibox
// orders it does not know being delivered), every offer in stock where the
// inventory orders it, Proxmox VE installable on it, adopted servers being
// what the inventory says; and, in targets of their own
// (preflight_local.go), what needs no API: every node's machine config and
// the secrets store's identity. It reports every problem at once, one
// sentence each, and changes nothing.
type preflight struct{ env *Env }

func (s *preflight) Name() string { return Preflight }

func (s *preflight) Targets() []run.Target {
	return append([]run.Target{{ID: "account"}}, localTargets()...)
}

// offerGroup is the hosts that use one offer in one place.
type offerGroup struct {
	provider  inventory.Provider
	placement string
	offer     string
	want      inventory.Offer // the capacity the layout was planned with
	hosts     []string        // every host of the offer there
	toOrder   []string        // those with no order yet
}

func (s *preflight) Run(ctx context.Context, st *run.Step) error {
	e := s.env
	if local, err := s.runLocal(ctx, st); local {
		return err
	}
	c, err := e.scw()
	if err != nil {
		return authHint(err)
	}
	k := &catalog{env: e, c: c, st: st}
	if err := k.checkProject(ctx); err != nil {
		return err // the project's servers cannot be read: nothing below can be either
	}
	if err := e.owner().checkOwnership(ctx, c); err != nil {
		return authHint(err) // one sentence: nothing else is worth checking
	}
	var problems []error
	for _, g := range s.offerGroups() {
		p, err := k.checkOffer(ctx, g)
		if err != nil {
			return authHint(err)
		}
		problems = append(problems, p...)
	}
	for _, h := range e.Layout().Hosts {
		if h.AdoptServerID == "" {
			continue
		}
		p, err := k.checkAdopted(ctx, h)
		if err != nil {
			return authHint(err)
		}
		problems = append(problems, p...)
	}
	if p := s.checkVLAN(); p != nil {
		problems = append(problems, p)
	}
	if p, err := k.checkBuiltVLAN(ctx); err != nil { // preflight_built.go
		return authHint(err)
	} else if p != nil {
		problems = append(problems, p)
	}
	if len(problems) > 0 {
		return fmt.Errorf("the account cannot build this inventory; nothing was ordered:\n%w", errors.Join(problems...))
	}
	// Neither dedibox/v1 (its remaining quota covers failover IPs only) nor
	// baremetal/v1 exposes a server quota: say so instead of pretending.
	st.Progress("server quotas are not checked (no server quota in the Dedibox or Elastic Metal API); an order over quota fails for its host only")
	st.Skip("credentials accepted; offers in stock where ordered; Proxmox VE installable; %d adopted server(s) verified", k.adopted)
	return nil
}

// authHint turns a refusal of the credentials into the sentence a user needs.
func authHint(err error) error {
	if scaleway.IsDeniedAuthentication(err) {
		return fmt.Errorf("Scaleway refused the credentials (SCW_ACCESS_KEY/SCW_SECRET_KEY, or the scw config's active profile): %w", err)
	}
	return err
}

// offerGroups groups hosts by provider, placement and offer, in inventory
// order. A host whose order the journal knows of (done or unresolved) does
// not need stock.
func (s *preflight) offerGroups() []*offerGroup {
	e := s.env
	var out []*offerGroup
	index := map[string]*offerGroup{}
	for _, h := range e.Layout().Hosts {
		key := fmt.Sprintf("%s/%s/%s", h.Provider, strings.ToUpper(h.Placement), strings.ToUpper(h.Offer.Name))
		g := index[key]
		if g == nil {
			g = &offerGroup{provider: h.Provider, placement: h.Placement, offer: h.Offer.Name, want: h.Offer}
			index[key] = g
			out = append(out, g)
		}
		g.hosts = append(g.hosts, h.Name)
		_, done := e.State.Journal.LastDone(Servers, h.Name, actionOrder)
		if h.AdoptServerID == "" && !done && len(e.State.Journal.Unresolved(Servers, h.Name, actionOrder)) == 0 {
			g.toOrder = append(g.toOrder, h.Name)
		}
	}
	return out
}

// checkVLAN: RPNv2 accepts VLANs 1 to 3967, fewer than 802.1Q allows.
func (s *preflight) checkVLAN() error {
	e := s.env
	vlan := e.Cluster().Network.VLAN
	for _, h := range e.Layout().Hosts {
		if h.Provider == inventory.Dedibox && (vlan < 1 || vlan > 3967) {
			return fmt.Errorf("network.vlan %d: Dedibox RPNv2 accepts VLANs 1 to 3967", vlan)
		}
	}
	return nil
}

// checkAdopted verifies an adopted server: it exists in the project, is in
// the inventory's datacenter or zone, is the inventory's offer, and carries
// no other cluster's ownership tag.
func (k *catalog) checkAdopted(ctx context.Context, h inventory.HostPlan) ([]error, error) {
	e, c := k.env, k.c
	zone, err := hostZone(h)
	if err != nil {
		return []error{fmt.Errorf("host %s: %w", h.Name, err)}, nil
	}
	srv, err := c.GetServer(ctx, h.Provider, zone, h.AdoptServerID)
	switch {
	case scaleway.IsNotFound(err):
		return []error{fmt.Errorf("host %s: adopted server %s was not found in %s (project %s)", h.Name, h.AdoptServerID, zone, c.ProjectID)}, nil
	case err != nil && (scaleway.Answered(err) || !scaleway.IsSDK(err)):
		return []error{fmt.Errorf("host %s: adopted server %s: %w", h.Name, h.AdoptServerID, err)}, nil
	case err != nil:
		return nil, err
	}
	k.adopted++
	var out []error
	bad := func(format string, args ...any) {
		out = append(out, fmt.Errorf("host %s: adopted server %s "+format, append([]any{h.Name, srv.ID}, args...)...))
	}
	if srv.ProjectID != c.ProjectID {
		bad("belongs to project %s, not %s", srv.ProjectID, c.ProjectID)
	}
	if !strings.EqualFold(srv.Placement, h.Placement) {
		bad("is in %s, not %s as the inventory says", srv.Placement, h.Placement)
	}
	if !strings.EqualFold(srv.Offer, h.Offer.Name) {
		bad("is a %s, not a %s as the inventory says", srv.Offer, h.Offer.Name)
	}
	if why := e.owner().ownedBy(srv, h); why != "" {
		bad("cannot be adopted: %s", why)
	}
	return out, nil
}

// hostList renders host names for a message: "host a" or "hosts a, b".
func hostList(hosts []string) string {
	if len(hosts) == 1 {
		return "host " + hosts[0]
	}
	return "hosts " + strings.Join(hosts, ", ")
}

// orNone renders a sorted list, or "none".
func orNone(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	sort.Strings(items)
	return strings.Join(items, ", ")
}
