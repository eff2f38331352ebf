package stage

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"

	baremetalv3 "github.com/scaleway/scaleway-sdk-go/api/baremetal/v3"
	vpc "github.com/scaleway/scaleway-sdk-go/api/vpc/v2"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/scaleway"
)

const actionPrivateNetwork = "create-private-network"

// metalPrivateNetworks attaches every Elastic Metal server to the cluster's
// private network. Private networks are regional (VPC v2): an inventory
// spread over regions gets one per region, and Scaleway does not join them.
func (e *Env) metalPrivateNetworks(ctx context.Context, st *run.Step, c *scaleway.Client, hosts []inventory.HostPlan) error {
	byRegion := map[scw.Region][]inventory.HostPlan{}
	var regions []string
	for _, h := range hosts {
		z, err := scaleway.MetalZone(h.Placement)
		if err != nil {
			return err
		}
		r := scaleway.RegionOf(z)
		if byRegion[r] == nil {
			regions = append(regions, string(r))
		}
		byRegion[r] = append(byRegion[r], h)
	}
	sort.Strings(regions)
	if len(regions) > 1 {
		st.Warn("Elastic Metal private networks are regional: this inventory gets one in each of %v, and Scaleway does not join them; corosync and Ceph traffic between regions needs a route you provide", regions)
	}
	for _, r := range regions {
		if err := e.metalPrivateNetwork(ctx, st, c, scw.Region(r), byRegion[scw.Region(r)]); err != nil {
			return err
		}
	}
	return nil
}

func (e *Env) metalPrivateNetwork(ctx context.Context, st *run.Step, c *scaleway.Client, region scw.Region, hosts []inventory.HostPlan) error {
	name := e.privateNetworkName()
	if st.UpstreamPlanned() {
		return st.Mutate(ctx, run.Mutation{API: "scaleway", Verb: "create", Object: fmt.Sprintf("private network %s in %s", name, region),
			Detail: "and attach " + hostNames(hosts)}, nil)
	}
	facts, err := e.serverFacts(st, hosts)
	if err != nil {
		return err
	}
	atts := make([][]*baremetalv3.ServerPrivateNetwork, len(facts))
	for i, f := range facts {
		if atts[i], err = e.attachments(ctx, c, f); err != nil {
			return err
		}
	}
	pn, err := e.findPrivateNetwork(ctx, c, region, atts)
	if err != nil {
		return err
	}
	planned := false
	if pn == "" {
		pn, err = e.createPrivateNetwork(ctx, st, c, region)
		if planned = errors.Is(err, run.ErrPlanned); err != nil && !planned {
			return err
		}
	}
	for i, f := range facts {
		if pn != "" && attachedTo(atts[i], pn) != nil {
			continue
		}
		if err := e.attach(ctx, st, c, f, hosts[i], pn); errors.Is(err, run.ErrPlanned) {
			planned = true
		} else if err != nil {
			return err
		}
	}
	if planned {
		return run.ErrPlanned
	}
	for i, f := range facts {
		vlan, err := e.waitAttached(ctx, st, c, f, hosts[i], pn)
		if err != nil {
			return err
		}
		st.Facts().Set(privateVLANKey(hosts[i].Name), vlan)
	}
	return nil
}

// attach attaches f's server to pn ("" while pn is only planned).
func (e *Env) attach(ctx context.Context, st *run.Step, c *scaleway.Client, f HostFact, h inventory.HostPlan, pn string) error {
	m := run.Mutation{API: "scaleway", Verb: "attach", Object: fmt.Sprintf("server %s (%s) to private network %s", f.ServerID, h.Name, e.privateNetworkName()), Detail: pn}
	return st.Mutate(ctx, m, func(ctx context.Context) error {
		_, err := c.MetalPN.AddServerPrivateNetwork(&baremetalv3.PrivateNetworkAPIAddServerPrivateNetworkRequest{Zone: scw.Zone(f.Zone), ServerID: f.ServerID, PrivateNetworkID: pn}, scw.WithContext(ctx))
		return scaleway.Evidence(err)
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

// findPrivateNetwork finds the region's private network: the one the
// journal recorded creating; else the one every attached server of the
// cluster shares; else the VPC's by name. "" means none exists.
func (e *Env) findPrivateNetwork(ctx context.Context, c *scaleway.Client, region scw.Region, atts [][]*baremetalv3.ServerPrivateNetwork) (string, error) {
	if rec, ok := e.State.Journal.LastDone(Network, privateNetworkTarget, actionPrivateNetwork+"/"+string(region)); ok && rec.Data["private_network_id"] != "" {
		return rec.Data["private_network_id"], nil
	}
	shared, attached := map[string]int{}, 0
	for _, a := range atts {
		if len(a) > 0 {
			attached++
		}
		for _, x := range a {
			shared[x.PrivateNetworkID]++
		}
	}
	for id, n := range shared {
		if attached > 0 && n == attached && len(shared) == 1 {
			return id, nil
		}
	}
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

// createPrivateNetwork creates the region's private network on the
// inventory's subnet, tagged as the cluster's, journaled.
func (e *Env) createPrivateNetwork(ctx context.Context, st *run.Step, c *scaleway.Client, region scw.Region) (string, error) {
	name, action := e.privateNetworkName(), actionPrivateNetwork+"/"+string(region)
	subnet := e.Cluster().Network.Subnet
	var id string
	m := run.Mutation{API: "scaleway", Verb: "create", Object: fmt.Sprintf("private network %s in %s", name, region), Detail: "subnet " + subnet.String()}
	err := st.Mutate(ctx, m, func(ctx context.Context) error {
		if err := e.failIntents(e.State.Journal.Unresolved(Network, privateNetworkTarget, action), "no private network named "+name+" exists"); err != nil {
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
	})
	return id, err
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
