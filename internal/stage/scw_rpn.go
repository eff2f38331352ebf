package stage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	dedibox "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/scaleway"
	"github.com/tripod-dev/tripod/internal/state"
)

// Private network changes settle in seconds to minutes (real time, scaled).
const (
	networkPoll    = 5 * time.Second
	networkTimeout = 20 * time.Minute
	actionRPNGroup = "create-rpn-group"
)

// rpnMembership makes h's Dedibox server a member of the cluster's RPNv2
// group on the inventory's VLAN: the first host creates the group with its
// server, the others add theirs; then the member is put on the VLAN (a new
// member has none). f is nil while the server is only planned. A dry run
// plans each of those requests.
func (e *Env) rpnMembership(ctx context.Context, st *run.Step, c *scaleway.Client, h inventory.HostPlan, f *HostFact) error {
	var server uint64
	if f != nil {
		id, err := strconv.ParseUint(f.ServerID, 10, 64)
		if err != nil {
			return fmt.Errorf("%s's server %q is not a Dedibox server", h.Name, f.ServerID)
		}
		server = id
	}
	group, created, err := e.rpnGroupFor(ctx, st, c, h, server)
	planned := errors.Is(err, run.ErrPlanned)
	if err != nil && !planned {
		return err
	}
	var member *dedibox.RpnV2Member
	if group != 0 && server != 0 {
		if member, err = e.rpnMemberOf(ctx, st, c, group, server); err != nil {
			return err
		}
	}
	if member == nil && !created {
		if err := e.addRPNMember(ctx, st, c, group, server, h); errors.Is(err, run.ErrPlanned) {
			planned = true
		} else if err != nil {
			return err
		}
	}
	if planned {
		return e.setRPNVLAN(ctx, st, c, group, 0, server, h) // plans it: the member does not exist yet
	}
	if !st.DryRun() {
		if member, err = e.rpnMemberSettled(ctx, st, c, group, server, h); err != nil {
			return err
		}
	}
	vlan := e.Cluster().Network.VLAN
	if member.Vlan != strconv.Itoa(vlan) {
		if err := e.setRPNVLAN(ctx, st, c, group, member.ID, server, h); err != nil {
			return err
		}
	}
	factsOf(st).SetVLAN(h.Name, vlan)
	st.Skip("server %d (%s) is on VLAN %d of RPNv2 group %s", server, h.Name, vlan, e.privateNetworkName())
	return nil
}

// rpnGroupFor returns the cluster's RPNv2 group, found by name or created
// with server (created is then true). In a dry run where the group does not
// exist, the first host plans its creation and every host gets
// run.ErrPlanned.
func (e *Env) rpnGroupFor(ctx context.Context, st *run.Step, c *scaleway.Client, h inventory.HostPlan, server uint64) (id uint64, created bool, err error) {
	sh := e.scwShared()
	sh.netMu.Lock()
	defer sh.netMu.Unlock()
	if sh.rpnGroup != 0 {
		return sh.rpnGroup, false, nil
	}
	if sh.rpnPlanned {
		return 0, false, run.ErrPlanned
	}
	g, err := e.findRPNGroup(ctx, c, e.privateNetworkName())
	if err != nil || g != nil {
		if g != nil {
			sh.rpnGroup = g.ID
		}
		return sh.rpnGroup, false, err
	}
	id, err = e.createRPNGroup(ctx, st, c, h, server)
	if errors.Is(err, run.ErrPlanned) {
		sh.rpnPlanned = true
	}
	sh.rpnGroup = id
	return id, err == nil || sh.rpnPlanned, err
}

// createRPNGroup creates the group with h's server, journaled: a group
// created without an answer, or by a run that died before recording it, is
// found by name.
func (e *Env) createRPNGroup(ctx context.Context, st *run.Step, c *scaleway.Client, h inventory.HostPlan, server uint64) (uint64, error) {
	name := e.privateNetworkName()
	unresolved := func() []state.Record {
		return e.State.Journal.Unresolved(Network, privateNetworkTarget, actionRPNGroup)
	}
	var id uint64
	m := run.Mutation{API: "scaleway", Verb: "create", Object: "RPNv2 group " + name, Detail: "with " + dediboxLabel(server, h), Request: reqRPNCreate}
	err := e.sendOnce(ctx, st, m, func(ctx context.Context) error {
		if err := e.failIntents(unresolved(), "no group named "+name+" exists"); err != nil {
			return err
		}
		intent, err := e.State.Journal.Intent(Network, privateNetworkTarget, actionRPNGroup, map[string]string{"name": name})
		if err != nil {
			return err
		}
		g, err := c.RPN.CreateRpnV2Group(&dedibox.RpnV2ApiCreateRpnV2GroupRequest{ProjectID: c.ProjectID, Type: dedibox.RpnV2GroupTypeStandard, Name: name, Servers: []uint64{server}}, scw.WithContext(ctx))
		if err != nil {
			return e.orderFailed(intent, err)
		}
		id = g.ID
		return e.State.Journal.Complete(intent, map[string]string{"group_id": strconv.FormatUint(g.ID, 10)})
	}, func(ctx context.Context) (bool, error) {
		g, err := e.findRPNGroup(ctx, c, name)
		if err != nil || g == nil {
			return false, err
		}
		id = g.ID
		return true, e.resolveIntents(unresolved(), map[string]string{"group_id": strconv.FormatUint(g.ID, 10)})
	})
	return id, err
}

// addRPNMember adds h's server to the group; an add without an answer is
// looked for among the members before it is sent again.
func (e *Env) addRPNMember(ctx context.Context, st *run.Step, c *scaleway.Client, group, server uint64, h inventory.HostPlan) error {
	m := run.Mutation{API: "scaleway", Verb: "add", Object: fmt.Sprintf("%s to RPNv2 group %s", dediboxLabel(server, h), e.privateNetworkName()), Request: reqRPNAddMembers}
	return e.sendOnce(ctx, st, m, func(ctx context.Context) error {
		return scaleway.Evidence(c.RPN.AddRpnV2Members(&dedibox.RpnV2ApiAddRpnV2MembersRequest{GroupID: group, Servers: []uint64{server}}, scw.WithContext(ctx)))
	}, func(ctx context.Context) (bool, error) {
		mb, err := e.rpnMemberOf(ctx, st, c, group, server)
		return mb != nil, err
	})
}

// setRPNVLAN puts h's member on the inventory's VLAN and waits until it is
// active again (member is 0 in a plan where it does not exist yet).
func (e *Env) setRPNVLAN(ctx context.Context, st *run.Step, c *scaleway.Client, group, member, server uint64, h inventory.HostPlan) error {
	vlan := uint32(e.Cluster().Network.VLAN)
	m := run.Mutation{API: "scaleway", Verb: "set", Object: fmt.Sprintf("VLAN %d on %s's member of RPNv2 group %s", vlan, h.Name, e.privateNetworkName()), Request: reqRPNVLAN}
	return st.Mutate(ctx, m, func(ctx context.Context) error {
		err := e.scwRead(ctx, func(ctx context.Context) error { // setting a VLAN is safe to repeat
			return c.RPN.UpdateRpnV2VlanForMembers(&dedibox.RpnV2ApiUpdateRpnV2VlanForMembersRequest{GroupID: group, MemberIDs: []uint64{member}, Vlan: &vlan}, scw.WithContext(ctx))
		})
		if err != nil {
			return scaleway.Evidence(err)
		}
		_, err = e.rpnMemberSettled(ctx, st, c, group, server, h)
		return err
	})
}

// dediboxLabel names a server in a mutation: "server 42 (lab-pve-1)", or
// "the server of lab-pve-1" while it is only planned.
func dediboxLabel(server uint64, h inventory.HostPlan) string {
	if server == 0 {
		return "the server of " + h.Name
	}
	return fmt.Sprintf("server %d (%s)", server, h.Name)
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

// rpnMemberOf returns server's member of the group, or nil. Members whose
// server is not this cluster's are left alone, as everything tripod does
// not own, and said so once.
func (e *Env) rpnMemberOf(ctx context.Context, st *run.Step, c *scaleway.Client, group, server uint64) (*dedibox.RpnV2Member, error) {
	var out *dedibox.RpnV2Member
	var foreign []string
	err := e.scwRead(ctx, func(ctx context.Context) error {
		out, foreign = nil, nil
		r, err := c.RPN.ListRpnV2Members(&dedibox.RpnV2ApiListRpnV2MembersRequest{GroupID: group}, scw.WithContext(ctx), scw.WithAllPages())
		for _, m := range listOrNil(r, err, func(r *dedibox.ListRpnV2MembersResponse) []*dedibox.RpnV2Member { return r.Members }) {
			switch {
			case m.Server == nil || m.Status == dedibox.RpnV2MemberStatusDeleting:
			case m.Server.ID == server:
				out = m
			case !slices.Contains(m.Server.Tags, e.ServerTag()):
				foreign = append(foreign, fmt.Sprintf("server %d (member %d)", m.Server.ID, m.ID))
			}
		}
		return err
	})
	e.warnOnce(st, "rpn-foreign", len(foreign) > 0, "RPNv2 group %s also holds %s, not this cluster's; left as it is", e.privateNetworkName(), orNone(foreign))
	return out, scaleway.Wrap(err, "list the members of RPNv2 group %d", group)
}

// rpnMemberSettled waits until server's member is active (created, or on
// its new VLAN) and returns it.
func (e *Env) rpnMemberSettled(ctx context.Context, st *run.Step, c *scaleway.Client, group, server uint64, h inventory.HostPlan) (*dedibox.RpnV2Member, error) {
	var out *dedibox.RpnV2Member
	name := fmt.Sprintf("server %d (%s) active in RPNv2 group %d", server, h.Name, group)
	err := e.scwWait(ctx, st, name, networkPoll, networkTimeout, func(ctx context.Context) (bool, string, error) {
		m, err := e.rpnMemberOf(ctx, st, c, group, server)
		switch {
		case err != nil:
			return false, "", err
		case m == nil:
			return false, "not listed yet", nil
		}
		out = m
		return m.Status == dedibox.RpnV2MemberStatusActive, string(m.Status), nil
	})
	return out, err
}
