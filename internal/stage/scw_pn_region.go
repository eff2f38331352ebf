package stage

import (
	"context"
	"errors"
	"fmt"
	"net"

	baremetal "github.com/scaleway/scaleway-sdk-go/api/baremetal/v1"
	vpc "github.com/scaleway/scaleway-sdk-go/api/vpc/v2"
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
func (e *Env) regionPrivateNetwork(ctx context.Context, st *run.Step, c *scaleway.Client, region scw.Region) (string, error) {
	sh := e.scwShared()
	sh.netMu.Lock()
	defer sh.netMu.Unlock()
	if id := sh.pns[region]; id != "" {
		return id, nil
	}
	if sh.pnPlanned[region] {
		return "", run.ErrPlanned
	}
	id, err := e.findPrivateNetwork(ctx, c, region)
	if err == nil && id == "" {
		id, err = e.createPrivateNetwork(ctx, st, c, region)
	}
	sh.pnPlanned[region] = errors.Is(err, run.ErrPlanned)
	sh.pns[region] = id
	return id, err
}

// findPrivateNetwork finds the region's private network: the one the
// journal recorded creating; else the VPC's by name and ownership tag; else
// the one every attached server of the cluster in the region shares (an
// operator's network is joined, not doubled). "" means none exists.
func (e *Env) findPrivateNetwork(ctx context.Context, c *scaleway.Client, region scw.Region) (string, error) {
	if rec, ok := e.State.Journal.LastDone(Network, privateNetworkTarget, actionPrivateNetwork+"/"+string(region)); ok && rec.Data["private_network_id"] != "" {
		return rec.Data["private_network_id"], nil
	}
	if id, err := e.namedPrivateNetwork(ctx, c, region); id != "" || err != nil {
		return id, err
	}
	return e.sharedPrivateNetwork(ctx, c, region)
}

// namedPrivateNetwork finds the region's private network named after the
// cluster and carrying its ownership tag.
func (e *Env) namedPrivateNetwork(ctx context.Context, c *scaleway.Client, region scw.Region) (string, error) {
	var out string
	name := e.privateNetworkName()
	err := e.scwRead(ctx, func(ctx context.Context) error {
		r, err := c.VPC.ListPrivateNetworks(&vpc.ListPrivateNetworksRequest{Region: region, Name: &name, ProjectID: &c.ProjectID, Tags: []string{e.ServerTag()}}, scw.WithContext(ctx), scw.WithAllPages())
		for _, p := range listOrNil(r, err, func(r *vpc.ListPrivateNetworksResponse) []*vpc.PrivateNetwork { return r.PrivateNetworks }) {
			if p.Name == name && out == "" {
				out = p.ID
			}
		}
		return err
	})
	return out, scaleway.Wrap(err, "list the private networks named %s in %s", name, region)
}

// sharedPrivateNetwork is the one private network that every attached
// server of the cluster (by its ownership tag) in region is attached to,
// or "" when there is no such single network.
func (e *Env) sharedPrivateNetwork(ctx context.Context, c *scaleway.Client, region scw.Region) (string, error) {
	shared, attached := map[string]int{}, 0
	for _, zone := range e.metalZones(region) {
		var ids []string
		err := e.scwRead(ctx, func(ctx context.Context) error {
			ids = nil
			r, err := c.Metal.ListServers(&baremetal.ListServersRequest{Zone: zone, Tags: []string{e.ServerTag()}, ProjectID: &c.ProjectID}, scw.WithContext(ctx), scw.WithAllPages())
			for _, s := range listOrNil(r, err, func(r *baremetal.ListServersResponse) []*baremetal.Server { return r.Servers }) {
				ids = append(ids, s.ID)
			}
			return err
		})
		if err != nil {
			return "", scaleway.Wrap(err, "list the Elastic Metal servers tagged %s in %s", e.ServerTag(), zone)
		}
		for _, id := range ids {
			atts, err := e.attachments(ctx, c, HostFact{ServerID: id, Zone: string(zone)})
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
func (e *Env) metalZones(region scw.Region) []scw.Zone {
	var out []scw.Zone
	seen := map[scw.Zone]bool{}
	for _, h := range e.Layout().Hosts {
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
func (e *Env) createPrivateNetwork(ctx context.Context, st *run.Step, c *scaleway.Client, region scw.Region) (string, error) {
	name, action := e.privateNetworkName(), actionPrivateNetwork+"/"+string(region)
	unresolved := func() []state.Record { return e.State.Journal.Unresolved(Network, privateNetworkTarget, action) }
	subnet := e.Cluster().Network.Subnet
	var id string
	m := run.Mutation{API: "scaleway", Verb: "create", Object: fmt.Sprintf("private network %s in %s", name, region), Detail: "subnet " + subnet.String(), Request: reqVPCCreatePN}
	err := e.sendOnce(ctx, st, m, func(ctx context.Context) error {
		if err := e.failIntents(unresolved(), "no private network named "+name+" exists"); err != nil {
			return err
		}
		intent, err := e.State.Journal.Intent(Network, privateNetworkTarget, action, map[string]string{"name": name})
		if err != nil {
			return err
		}
		ipnet := scw.IPNet{IPNet: net.IPNet{IP: subnet.Addr().AsSlice(), Mask: net.CIDRMask(subnet.Bits(), subnet.Addr().BitLen())}}
		p, err := c.VPC.CreatePrivateNetwork(&vpc.CreatePrivateNetworkRequest{Region: region, Name: name, ProjectID: c.ProjectID, Tags: []string{e.ServerTag()}, Subnets: []scw.IPNet{ipnet}}, scw.WithContext(ctx))
		if err != nil {
			return e.orderFailed(intent, err)
		}
		id = p.ID
		return e.State.Journal.Complete(intent, map[string]string{"private_network_id": id})
	}, func(ctx context.Context) (bool, error) {
		found, err := e.namedPrivateNetwork(ctx, c, region)
		if err != nil || found == "" {
			return false, err
		}
		id = found
		return true, e.resolveIntents(unresolved(), map[string]string{"private_network_id": id})
	})
	return id, err
}
