package stage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	dedibox "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/scaleway"
)

// Private network changes settle in seconds to minutes (real time, scaled).
const (
	networkPoll    = 5 * time.Second
	networkTimeout = 20 * time.Minute
	actionRPNGroup = "create-rpn-group"
)

// rpnGroup makes the cluster's RPNv2 group hold every Dedibox server, each
// member on the inventory's VLAN: find the group by name, create it if
// absent, add missing servers, set the VLAN where it differs. A dry run
// plans every one of those changes.
func (e *Env) rpnGroup(ctx context.Context, st *run.Step, c *scaleway.Client, hosts []inventory.HostPlan) error {
	name, vlan := e.privateNetworkName(), uint32(e.Cluster().Network.VLAN)
	if st.UpstreamPlanned() {
		return st.Mutate(ctx, run.Mutation{API: "scaleway", Verb: "create", Object: "RPNv2 group " + name,
			Detail: fmt.Sprintf("members %s on VLAN %d", hostNames(hosts), vlan)}, nil)
	}
	want, err := e.dediboxServers(st, hosts)
	if err != nil {
		return err
	}
	planned := false
	note := func(err error) error {
		if errors.Is(err, run.ErrPlanned) {
			planned = true
			return nil
		}
		return err
	}
	g, err := e.findRPNGroup(ctx, c, name)
	if err != nil {
		return err
	}
	if g == nil {
		if g, err = e.createRPNGroup(ctx, st, c, name, want); note(err) != nil {
			return err
		}
	}
	members := map[uint64]*dedibox.RpnV2Member{}
	if g != nil {
		if members, err = e.settledMembers(ctx, st, c, g.ID, !st.DryRun()); err != nil {
			return err
		}
	}
	if missing := notIn(want, members); g != nil && len(missing) > 0 {
		if err := note(e.addRPNMembers(ctx, st, c, g, missing, want)); err != nil {
			return err
		}
		if !planned {
			if members, err = e.settledMembers(ctx, st, c, g.ID, true); err != nil {
				return err
			}
		}
	}
	off := offVLAN(want, members, vlan)
	if n := len(off) + len(notIn(want, members)); n > 0 {
		if err := note(e.setRPNVLAN(ctx, st, c, g, off, n)); err != nil {
			return err
		}
	}
	warnForeign(st, name, want, members)
	if planned {
		return run.ErrPlanned
	}
	for _, h := range hosts {
		st.Facts().Set(privateVLANKey(h.Name), int(vlan))
	}
	return nil
}

// warnForeign says which members are not this inventory's: tripod leaves
// them, as it leaves everything it does not own.
func warnForeign(st *run.Step, name string, want map[uint64]string, members map[uint64]*dedibox.RpnV2Member) {
	for id, m := range members {
		if _, ok := want[id]; !ok {
			st.Warn("RPNv2 group %s also holds server %d (member %d), which is not in this inventory; left as it is", name, id, m.ID)
		}
	}
}

// dediboxServers maps the hosts' server IDs to their names.
func (e *Env) dediboxServers(st *run.Step, hosts []inventory.HostPlan) (map[uint64]string, error) {
	facts, err := e.serverFacts(st, hosts)
	if err != nil {
		return nil, err
	}
	want := map[uint64]string{}
	for i, f := range facts {
		id, err := strconv.ParseUint(f.ServerID, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s's server %q is not a Dedibox server", hosts[i].Name, f.ServerID)
		}
		want[id] = hosts[i].Name
	}
	return want, nil
}

// notIn lists the servers of want that are not members, sorted.
func notIn(want map[uint64]string, members map[uint64]*dedibox.RpnV2Member) []uint64 {
	var out []uint64
	for id := range want {
		if _, ok := members[id]; !ok {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// offVLAN lists the member IDs of want's servers on another VLAN, sorted.
func offVLAN(want map[uint64]string, members map[uint64]*dedibox.RpnV2Member, vlan uint32) []uint64 {
	var out []uint64
	for id := range want {
		if m, ok := members[id]; ok && m.Vlan != strconv.FormatUint(uint64(vlan), 10) {
			out = append(out, m.ID)
		}
	}
	slices.Sort(out)
	return out
}

func (e *Env) addRPNMembers(ctx context.Context, st *run.Step, c *scaleway.Client, g *dedibox.RpnV2Group, missing []uint64, want map[uint64]string) error {
	m := run.Mutation{API: "scaleway", Verb: "add", Object: fmt.Sprintf("%d server(s) to RPNv2 group %s", len(missing), g.Name), Detail: idList(missing, want)}
	return st.Mutate(ctx, m, func(ctx context.Context) error {
		return scaleway.Evidence(c.RPN.AddRpnV2Members(&dedibox.RpnV2ApiAddRpnV2MembersRequest{GroupID: g.ID, Servers: missing}, scw.WithContext(ctx)))
	})
}

// setRPNVLAN puts members on the inventory's VLAN; n counts the members a
// dry run would also add.
func (e *Env) setRPNVLAN(ctx context.Context, st *run.Step, c *scaleway.Client, g *dedibox.RpnV2Group, members []uint64, n int) error {
	vlan := uint32(e.Cluster().Network.VLAN)
	m := run.Mutation{API: "scaleway", Verb: "set", Object: fmt.Sprintf("VLAN %d on %d member(s) of RPNv2 group %s", vlan, n, e.privateNetworkName())}
	return st.Mutate(ctx, m, func(ctx context.Context) error {
		err := e.scwRead(ctx, func(ctx context.Context) error { // setting a VLAN is safe to repeat
			return c.RPN.UpdateRpnV2VlanForMembers(&dedibox.RpnV2ApiUpdateRpnV2VlanForMembersRequest{GroupID: g.ID, MemberIDs: members, Vlan: &vlan}, scw.WithContext(ctx))
		})
		if err != nil {
			return scaleway.Evidence(err)
		}
		_, err = e.settledMembers(ctx, st, c, g.ID, true)
		return err
	})
}

func hostNames(hosts []inventory.HostPlan) string {
	var n []string
	for _, h := range hosts {
		n = append(n, h.Name)
	}
	return strings.Join(n, ", ")
}

func idList(ids []uint64, host map[uint64]string) string {
	var out []string
	for _, id := range ids {
		out = append(out, fmt.Sprintf("%d (%s)", id, host[id]))
	}
	return strings.Join(out, ", ")
}

// findRPNGroup finds the project's group named name that is not being
// deleted.
func (e *Env) findRPNGroup(ctx context.Context, c *scaleway.Client, name string) (*dedibox.RpnV2Group, error) {
	var out *dedibox.RpnV2Group
	err := e.scwRead(ctx, func(ctx context.Context) error {
		r, err := c.RPN.ListRpnV2Groups(&dedibox.RpnV2ApiListRpnV2GroupsRequest{ProjectID: &c.ProjectID}, scw.WithContext(ctx), scw.WithAllPages())
		for _, g := range listOrNil(r, err, func(r *dedibox.ListRpnV2GroupsResponse) []*dedibox.RpnV2Group { return r.RpnGroups }) {
			if g.Name == name && g.Status != dedibox.RpnV2GroupStatusDeleting && out == nil {
				out = g
			}
		}
		return err
	})
	return out, scaleway.Wrap(err, "list the RPNv2 groups of project %s", c.ProjectID)
}

// createRPNGroup creates the group with its servers, journaled: a group
// created by a run that died before recording it is found by name.
func (e *Env) createRPNGroup(ctx context.Context, st *run.Step, c *scaleway.Client, name string, want map[uint64]string) (*dedibox.RpnV2Group, error) {
	var ids []uint64
	for id := range want {
		ids = append(ids, id)
	}
	var g *dedibox.RpnV2Group
	m := run.Mutation{API: "scaleway", Verb: "create", Object: "RPNv2 group " + name, Detail: "members " + idList(ids, want)}
	err := st.Mutate(ctx, m, func(ctx context.Context) error {
		if err := e.failIntents(e.State.Journal.Unresolved(Network, privateNetworkTarget, actionRPNGroup), "no group named "+name+" exists"); err != nil {
			return err
		}
		intent, err := e.State.Journal.Intent(Network, privateNetworkTarget, actionRPNGroup, map[string]string{"name": name})
		if err != nil {
			return err
		}
		g, err = c.RPN.CreateRpnV2Group(&dedibox.RpnV2ApiCreateRpnV2GroupRequest{ProjectID: c.ProjectID, Type: dedibox.RpnV2GroupTypeStandard, Name: name, Servers: ids}, scw.WithContext(ctx))
		if err != nil {
			return e.orderFailed(intent, err)
		}
		return e.State.Journal.Complete(intent, map[string]string{"group_id": strconv.FormatUint(g.ID, 10)})
	})
	return g, err
}

// settledMembers waits until the group is active (no member creating or
// changing VLAN) and returns its members by server ID.
func (e *Env) settledMembers(ctx context.Context, st stepProgress, c *scaleway.Client, group uint64, wait bool) (map[uint64]*dedibox.RpnV2Member, error) {
	if wait {
		if err := e.rpnSettled(ctx, st, c, group); err != nil {
			return nil, err
		}
	}
	out := map[uint64]*dedibox.RpnV2Member{}
	err := e.scwRead(ctx, func(ctx context.Context) error {
		r, err := c.RPN.ListRpnV2Members(&dedibox.RpnV2ApiListRpnV2MembersRequest{GroupID: group}, scw.WithContext(ctx), scw.WithAllPages())
		for _, m := range listOrNil(r, err, func(r *dedibox.ListRpnV2MembersResponse) []*dedibox.RpnV2Member { return r.Members }) {
			if m.Server != nil && m.Status != dedibox.RpnV2MemberStatusDeleting {
				out[m.Server.ID] = m
			}
		}
		return err
	})
	return out, scaleway.Wrap(err, "list the members of RPNv2 group %d", group)
}

// rpnSettled waits until the group is active: no member creating or
// changing VLAN.
func (e *Env) rpnSettled(ctx context.Context, st stepProgress, c *scaleway.Client, group uint64) error {
	name := fmt.Sprintf("RPNv2 group %d active", group)
	return e.scwWait(ctx, st, name, networkPoll, networkTimeout, func(ctx context.Context) (bool, string, error) {
		g, err := c.RPN.GetRpnV2Group(&dedibox.RpnV2ApiGetRpnV2GroupRequest{GroupID: group}, scw.WithContext(ctx))
		if err != nil {
			return false, "", scaleway.Evidence(err)
		}
		switch g.Status {
		case dedibox.RpnV2GroupStatusActive:
			return true, "", nil
		case dedibox.RpnV2GroupStatusDeleting:
			return false, "", fmt.Errorf("RPNv2 group %d is being deleted", group)
		}
		return false, string(g.Status), nil
	})
}
