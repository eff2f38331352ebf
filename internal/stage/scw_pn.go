package stage

import (
	"context"
	"errors"
	"fmt"
	"sort"

	baremetalv3 "github.com/scaleway/scaleway-sdk-go/api/baremetal/v3"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/scaleway"
)

// metalPrivateNetwork attaches h's Elastic Metal server to its region's
// private network (scw_pn_region.go), and publishes the VLAN Scaleway
// assigned it. Private networks are regional (VPC v2): an inventory spread
// over regions gets one per region, and Scaleway does not join them. f is
// nil while the server is only planned.
func (e *Env) metalPrivateNetwork(ctx context.Context, st *run.Step, c *scaleway.Client, h inventory.HostPlan, f *HostFact) error {
	zone, err := scaleway.MetalZone(h.Placement)
	if err != nil {
		return err
	}
	region := scaleway.RegionOf(zone)
	regions := e.metalRegions()
	e.warnOnce(st, "regions", len(regions) > 1, "Elastic Metal private networks are regional: this inventory gets one in each of %v, and Scaleway does not join them; corosync and Ceph traffic between regions needs a route you provide", regions)
	pn, err := e.regionPrivateNetwork(ctx, st, c, region)
	planned := errors.Is(err, run.ErrPlanned)
	if err != nil && !planned {
		return err
	}
	var att *baremetalv3.ServerPrivateNetwork
	if f != nil && pn != "" {
		atts, err := e.attachments(ctx, c, *f)
		if err != nil {
			return err
		}
		att = attachedTo(atts, pn)
	}
	if att == nil {
		if err := e.attach(ctx, st, c, f, h, pn); errors.Is(err, run.ErrPlanned) {
			planned = true
		} else if err != nil {
			return err
		}
	}
	if planned {
		return run.ErrPlanned
	}
	vlan, err := e.waitAttached(ctx, st, c, *f, h, pn)
	if err != nil {
		return err
	}
	factsOf(st).SetVLAN(h.Name, vlan)
	st.Skip("server %s (%s) is attached to private network %s on VLAN %d", f.ServerID, h.Name, e.privateNetworkName(), vlan)
	return nil
}

// metalRegions lists the regions of the inventory's Elastic Metal hosts.
func (e *Env) metalRegions() []string {
	seen := map[string]bool{}
	var out []string
	for _, h := range e.Layout().Hosts {
		z, err := scaleway.MetalZone(h.Placement)
		if h.Provider != inventory.ElasticMetal || err != nil {
			continue
		}
		if r := string(scaleway.RegionOf(z)); !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	sort.Strings(out)
	return out
}

// attach attaches f's server to pn (f is nil while the server is planned,
// pn "" while the network is). An attach without an answer is looked for
// among the server's attachments before it is sent again.
func (e *Env) attach(ctx context.Context, st *run.Step, c *scaleway.Client, f *HostFact, h inventory.HostPlan, pn string) error {
	label := "the server of " + h.Name
	if f != nil {
		label = fmt.Sprintf("server %s (%s)", f.ServerID, h.Name)
	}
	m := run.Mutation{API: "scaleway", Verb: "attach", Object: fmt.Sprintf("%s to private network %s", label, e.privateNetworkName()), Detail: pn, Request: reqMetalAttachPN}
	if f == nil || pn == "" {
		return st.Mutate(ctx, m, nil) // only planned: Mutate does not call fn in a dry run
	}
	return e.sendOnce(ctx, st, m, func(ctx context.Context) error {
		_, err := c.MetalPN.AddServerPrivateNetwork(&baremetalv3.PrivateNetworkAPIAddServerPrivateNetworkRequest{Zone: scw.Zone(f.Zone), ServerID: f.ServerID, PrivateNetworkID: pn}, scw.WithContext(ctx))
		return scaleway.Evidence(err)
	}, func(ctx context.Context) (bool, error) {
		atts, err := e.attachments(ctx, c, *f)
		return attachedTo(atts, pn) != nil, err
	})
}

// attachments lists a server's private network attachments.
func (e *Env) attachments(ctx context.Context, c *scaleway.Client, f HostFact) ([]*baremetalv3.ServerPrivateNetwork, error) {
	var out []*baremetalv3.ServerPrivateNetwork
	err := e.scwRead(ctx, func(ctx context.Context) error {
		r, err := c.MetalPN.ListServerPrivateNetworks(&baremetalv3.PrivateNetworkAPIListServerPrivateNetworksRequest{Zone: scw.Zone(f.Zone), ServerID: &f.ServerID}, scw.WithContext(ctx), scw.WithAllPages())
		out = listOrNil(r, err, func(r *baremetalv3.ListServerPrivateNetworksResponse) []*baremetalv3.ServerPrivateNetwork {
			return r.ServerPrivateNetworks
		})
		return err
	})
	return out, scaleway.Wrap(err, "list the private networks of server %s", f.ServerID)
}

func attachedTo(atts []*baremetalv3.ServerPrivateNetwork, pn string) *baremetalv3.ServerPrivateNetwork {
	for _, a := range atts {
		if a.PrivateNetworkID == pn && a.Status != baremetalv3.ServerPrivateNetworkStatusDetaching {
			return a
		}
	}
	return nil
}

// waitAttached waits until f's server is attached to pn and returns the
// VLAN Scaleway assigned it. A dry run reads once instead of waiting.
func (e *Env) waitAttached(ctx context.Context, st *run.Step, c *scaleway.Client, f HostFact, h inventory.HostPlan, pn string) (int, error) {
	vlan := 0
	check := func(ctx context.Context) (bool, string, error) {
		atts, err := e.attachments(ctx, c, f)
		if err != nil {
			return false, "", err
		}
		a := attachedTo(atts, pn)
		switch {
		case a == nil:
			return false, "", fmt.Errorf("the attachment disappeared")
		case a.Status == baremetalv3.ServerPrivateNetworkStatusError || a.Status == baremetalv3.ServerPrivateNetworkStatusLocked:
			return false, "", fmt.Errorf("the attachment is %s", a.Status)
		case a.Status != baremetalv3.ServerPrivateNetworkStatusAttached || a.Vlan == nil:
			return false, string(a.Status), nil
		}
		vlan = int(*a.Vlan)
		return true, "", nil
	}
	if st.DryRun() {
		done, status, err := check(ctx)
		if err == nil && !done {
			st.Skip("server %s (%s) is still %s to private network %s", f.ServerID, h.Name, status, pn)
			return 0, run.ErrPlanned
		}
		return vlan, err
	}
	name := fmt.Sprintf("server %s (%s) attached to private network %s", f.ServerID, h.Name, pn)
	return vlan, e.scwWait(ctx, st, name, networkPoll, networkTimeout, check)
}
