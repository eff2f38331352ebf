package stage

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/proxmox"
	"github.com/tripod-dev/tripod/internal/run"
)

type pveCluster struct{ env *Env }

// Request templates of the pvecluster stage.
const (
	reqClusterCreate = "POST /api2/json/cluster/config"
	reqClusterJoin   = "POST /api2/json/cluster/config/join"
)

func (s *pveCluster) Name() string { return PVECluster }

// Run creates the cluster on the first host (after measuring round-trip
// times between every pair of hosts) or joins one other host to it.
func (s *pveCluster) Run(ctx context.Context, st *run.Step) error {
	h, _ := s.env.Layout().Host(st.Key.Target)
	if h.Name == s.env.firstHost().Name {
		return s.env.createCluster(ctx, st, h)
	}
	return s.env.joinCluster(ctx, st, h)
}

// Plan lists the cluster's creation on the first host, or one other
// host's join, for hosts that are not installed or bridged yet.
func (s *pveCluster) Plan(ctx context.Context, st *run.Step) error {
	h, _ := s.env.Layout().Host(st.Key.Target)
	if h.Name == s.env.firstHost().Name {
		return planOnly(ctx, st, s.env.clusterCreateMutation(h))
	}
	return planOnly(ctx, st, s.env.clusterJoinMutation(h))
}

// Targets: the first host measures round-trip times between all hosts and
// creates the cluster, so it needs every host installed and bridged; each
// other host joins once it is installed, its bridge holds its private
// address (corosync's link; PVE refuses a join whose link address the host
// does not have) and the cluster exists, one join at a time.
func (s *pveCluster) Targets() []run.Target {
	first := s.env.firstHost().Name
	var out []run.Target
	for _, h := range s.env.Layout().Hosts {
		t := run.Target{ID: h.Name, Needs: []run.Key{run.On(OS, h.Name), run.On(Network, h.Name)}, Placement: h.AZ}
		if h.Name == first {
			// It measures round trips between every pair of hosts on the
			// private network, so it needs every host's bridge (each
			// needs its host's private network), not the hosts' NAT,
			// which only the VMs use.
			t.Needs = []run.Key{run.All(OS)}
			for _, o := range s.env.Layout().Hosts {
				t.Needs = append(t.Needs, run.On(Network, o.Name))
			}
		} else {
			t.Needs = append(t.Needs, run.On(PVECluster, first))
			t.Pools = []string{"pvecluster-join"}
		}
		out = append(out, t)
	}
	return out
}

// clusterView is what a member says about its corosync cluster.
type clusterView struct {
	Name    string          // "" when the host is not in a cluster
	Quorate bool            //
	Online  map[string]bool // member name -> online
}

// readClusterView reads what the member c talks to says about its cluster.
func readClusterView(ctx context.Context, c *proxmox.Client) (clusterView, error) {
	v := clusterView{Online: map[string]bool{}}
	list, err := c.ReadList(ctx, "/cluster/status")
	if err != nil {
		return v, err
	}
	for _, it := range list {
		switch it["type"] {
		case "cluster":
			v.Name, _ = it["name"].(string)
			v.Quorate = num(it["quorate"]) == 1
		case "node":
			name, _ := it["name"].(string)
			v.Online[name] = num(it["online"]) == 1
		}
	}
	if v.Name == "" {
		v.Online = map[string]bool{}
	}
	return v, nil
}

// nonMembers lists the inventory's hosts the cluster does not have.
func (e *Env) nonMembers(v clusterView) []string {
	var out []string
	for _, h := range e.Layout().Hosts {
		if _, ok := v.Online[h.Name]; !ok {
			out = append(out, h.Name)
		}
	}
	return out
}

// createCluster creates the Proxmox cluster on the first host h, with
// corosync's link0 on h's private address, once every pair of hosts has
// shown a round-trip time corosync can live with.
func (e *Env) createCluster(ctx context.Context, st *run.Step, h inventory.HostPlan) error {
	name := e.Cluster().Proxmox.ClusterName
	m := e.clusterCreateMutation(h)
	api, err := e.node(st, h.Name).API()
	if err != nil {
		return err
	}
	v, err := readClusterView(ctx, api)
	if err != nil {
		return err
	}
	if v.Name != "" && v.Name != name {
		return fmt.Errorf("%s is already in Proxmox cluster %q, not %q as the inventory says; tripod does not move hosts between clusters", h.Name, v.Name, name)
	}
	if v.Name != "" && len(e.nonMembers(v)) == 0 {
		st.Skip("Proxmox cluster %s exists with all %d hosts", name, len(v.Online))
		return nil
	}
	if err := e.checkRTT(ctx, st); err != nil { // hosts are still to join
		return err
	}
	if v.Name != "" {
		st.Skip("Proxmox cluster %s exists; %v still to join", name, e.nonMembers(v))
		return nil
	}
	if !st.DryRun() {
		if err := e.requirePrivateAddress(ctx, st, h); err != nil {
			return err
		}
	}
	root, err := e.node(st, h.Name).Root(ctx)
	if err != nil {
		return err
	}
	created := func(ctx context.Context) (bool, error) {
		v, err := readClusterView(ctx, api)
		return v.Name != "", err
	}
	err = e.pveSend(ctx, st, m, proxmox.Request{Client: root, Method: "POST", Path: "/cluster/config",
		Params: map[string]any{"clustername": name, "link0": h.PrivateAddress.String()},
		Task:   &proxmox.TaskRef{Node: h.Name, Type: "clustercreate"}, Landed: created, Wait: 5 * time.Minute})
	if err != nil {
		return err
	}
	// pvecm create keeps /etc/pve, so the first host's token is now the
	// cluster's; make sure of it before anyone joins with it.
	err = e.ensureToken(ctx, st, h.Name, root, run.Mutation{API: "proxmox", Verb: "create", Object: "API token " + pveTokenID + " of cluster " + name, Request: reqTokenCreate})
	st.Skip("created Proxmox cluster %s on %s", name, h.Name)
	return err
}

// clusterCreateMutation is the cluster's creation on the first host h.
func (e *Env) clusterCreateMutation(h inventory.HostPlan) run.Mutation {
	return run.Mutation{API: "proxmox", Verb: "create", Object: fmt.Sprintf("Proxmox cluster %s on %s", e.Cluster().Proxmox.ClusterName, h.Name),
		Detail: "corosync link0 on " + h.PrivateAddress.String(), Request: reqClusterCreate}
}

// requirePrivateAddress checks h's private address is up before corosync
// is told to use it: the network stage's bridge (a need) put it there.
func (e *Env) requirePrivateAddress(ctx context.Context, st *run.Step, h inventory.HostPlan) error {
	c, err := e.node(st, h.Name).API()
	if err != nil {
		return err
	}
	up, err := addressUp(ctx, c, h.Name, h.PrivateAddress)
	if err == nil && !up {
		err = fmt.Errorf("%s's private address %s is not up, although the network stage has built its bridge %s; corosync's link needs it",
			h.Name, h.PrivateAddress, e.Cluster().Network.Bridge)
	}
	return err
}

// addressUp reports whether addr is configured on an active interface of
// node.
func addressUp(ctx context.Context, c *proxmox.Client, node string, addr netip.Addr) (bool, error) {
	ifaces, err := c.ReadList(ctx, "/nodes/"+node+"/network")
	if err != nil {
		return false, err
	}
	for _, i := range ifaces {
		if a, _ := i["address"].(string); a == addr.String() && num(i["active"]) == 1 {
			return true, nil
		}
	}
	return false, nil
}

// num reads a JSON number (PVE's 0/1 booleans included) as a float.
func num(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case string:
		var f float64
		fmt.Sscan(x, &f)
		return f
	}
	return 0
}
