package stage

import (
	"context"
	"errors"
	"fmt"

	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/scaleway"
	"github.com/tripod-dev/tripod/internal/state"
)

const actionPrivateNetwork = "create-private-network"

// regionPrivateNetwork returns the ID of the cluster's private network in
// region, found or created by the first host of the region that asks. In a
// dry run where it does not exist, that host plans its creation and every
// host of the region gets "" and run.ErrPlanned.
func (s *network) regionPrivateNetwork(ctx context.Context, st *run.Step, c *scaleway.Session, region scw.Region) (string, error) {
	n := &c.Networks
	n.Lock()
	defer n.Unlock()
	if id := n.PNs[region]; id != "" {
		return id, nil
	}
	if n.PNPlanned[region] {
		return "", run.ErrPlanned
	}
	id, err := s.findPrivateNetwork(ctx, c, region)
	if err == nil && id == "" {
		id, err = s.createPrivateNetwork(ctx, st, c, region)
	}
	n.PNPlanned[region] = errors.Is(err, run.ErrPlanned)
	n.PNs[region] = id
	return id, err
}

// findPrivateNetwork finds the region's private network: the one the
// journal recorded creating; else the VPC's by name and ownership tag; else
// the one every attached server of the cluster in the region shares (an
// operator's network is joined, not doubled). "" means none exists.
func (s *network) findPrivateNetwork(ctx context.Context, c *scaleway.Session, region scw.Region) (string, error) {
	e := s.env
	if rec, ok := e.State.Journal.LastDone(Network, privateNetworkTarget, actionPrivateNetwork+"/"+string(region)); ok && rec.Data["private_network_id"] != "" {
		return rec.Data["private_network_id"], nil
	}
	if id, err := s.namedPrivateNetwork(ctx, c, region); id != "" || err != nil {
		return id, err
	}
	return s.sharedPrivateNetwork(ctx, c, region)
}

// namedPrivateNetwork finds the region's private network named after the
// cluster and carrying its ownership tag.
func (s *network) namedPrivateNetwork(ctx context.Context, c *scaleway.Session, region scw.Region) (string, error) {
	e := s.env
	return c.NamedPrivateNetwork(ctx, region, privateNetworkName(e.Cluster()), e.ServerTag())
}

// sharedPrivateNetwork is the one private network that every attached
// server of the cluster (by its ownership tag) in region is attached to,
// or "" when there is no such single network.
func (s *network) sharedPrivateNetwork(ctx context.Context, c *scaleway.Session, region scw.Region) (string, error) {
	e := s.env
	shared, attached := map[string]int{}, 0
	for _, zone := range metalZones(e.Layout(), region) {
		ids, err := c.MetalServerIDs(ctx, zone, e.ServerTag())
		if err != nil {
			return "", err
		}
		for _, id := range ids {
			atts, err := c.Attachments(ctx, zone, id)
			if err != nil {
				return "", err
			}
			if len(atts) > 0 {
				attached++
			}
			for _, a := range atts {
				shared[a.PrivateNetworkID]++
			}
		}
	}
	for id, n := range shared {
		if n == attached && len(shared) == 1 {
			return id, nil
		}
	}
	return "", nil
}

// metalZones lists the zones of the inventory's Elastic Metal hosts in region.
func metalZones(l *inventory.Layout, region scw.Region) []scw.Zone {
	var out []scw.Zone
	seen := map[scw.Zone]bool{}
	for _, h := range l.Hosts {
		z, err := scaleway.MetalZone(h.Placement)
		if h.Provider == inventory.ElasticMetal && err == nil && scaleway.RegionOf(z) == region && !seen[z] {
			seen[z] = true
			out = append(out, z)
		}
	}
	return out
}

// createPrivateNetwork creates the region's private network on the
// inventory's subnet, tagged as the cluster's, journaled: one created
// without an answer, or by a run that died before recording it, is found
// by name.
func (s *network) createPrivateNetwork(ctx context.Context, st *run.Step, c *scaleway.Session, region scw.Region) (string, error) {
	e := s.env
	name, action := privateNetworkName(e.Cluster()), actionPrivateNetwork+"/"+string(region)
	unresolved := func() []state.Record { return e.State.Journal.Unresolved(Network, privateNetworkTarget, action) }
	subnet := e.Cluster().Network.Subnet
	var id string
	m := run.Mutation{API: "scaleway", Verb: "create", Object: fmt.Sprintf("private network %s in %s", name, region), Detail: "subnet " + subnet.String(), Request: scaleway.ReqVPCCreatePN}
	err := sendOnce(ctx, st, c, m, func(ctx context.Context) error {
		if err := failIntents(e.State.Journal, unresolved(), "no private network named "+name+" exists"); err != nil {
			return err
		}
		intent, err := e.State.Journal.Intent(Network, privateNetworkTarget, action, map[string]string{"name": name})
		if err != nil {
			return err
		}
		pn, err := c.CreatePrivateNetwork(ctx, region, name, e.ServerTag(), subnet)
		if err != nil {
			return orderFailed(e.State.Journal, intent, err)
		}
		id = pn
		return e.State.Journal.Complete(intent, map[string]string{"private_network_id": id})
	}, func(ctx context.Context) (bool, error) {
		found, err := s.namedPrivateNetwork(ctx, c, region)
		if err != nil || found == "" {
			return false, err
		}
		id = found
		return true, resolveIntents(e.State.Journal, unresolved(), map[string]string{"private_network_id": id})
	})
	return id, err
}
