package stage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	dedibox "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/scaleway"
	"github.com/tripod-dev/tripod/internal/state"
)

// actionRPNGroup is the journal action of the RPNv2 group's creation.
const actionRPNGroup = "create-rpn-group"

// rpnMembership makes h's Dedibox server a member of the cluster's RPNv2
// group on the inventory's VLAN: the first host creates the group with its
// server, the others add theirs; then the member is put on the VLAN (a new
// member has none). f is nil while the server is only planned. A dry run
// plans each of those requests.
func (s *network) rpnMembership(ctx context.Context, st *run.Step, c *scaleway.Session, h inventory.HostPlan, f *HostFact) error {
	e := s.env
	var server uint64
	if f != nil {
		id, err := strconv.ParseUint(f.ServerID, 10, 64)
		if err != nil {
			return fmt.Errorf("%s's server %q is not a Dedibox server", h.Name, f.ServerID)
		}
		server = id
	}
	group, created, err := s.rpnGroupFor(ctx, st, c, h, server)
	planned := errors.Is(err, run.ErrPlanned)
	if err != nil && !planned {
		return err
	}
	var member *dedibox.RpnV2Member
	if group != 0 && server != 0 {
		if member, err = s.rpnMemberOf(ctx, st, c, group, server); err != nil {
			return err
		}
	}
	if member == nil && !created {
		if err := s.addRPNMember(ctx, st, c, group, server, h); errors.Is(err, run.ErrPlanned) {
			planned = true
		} else if err != nil {
			return err
		}
	}
	if planned {
		return s.setRPNVLAN(ctx, st, c, group, 0, server, h) // plans it: the member does not exist yet
	}
	if !st.DryRun() {
		if member, err = s.rpnMemberSettled(ctx, st, c, group, server, h); err != nil {
			return err
		}
	}
	vlan := e.Cluster().Network.VLAN
	if member.Vlan != strconv.Itoa(vlan) {
		if err := s.setRPNVLAN(ctx, st, c, group, member.ID, server, h); err != nil {
			return err
		}
	}
	factsOf(st).SetVLAN(h.Name, vlan)
	st.Skip("server %d (%s) is on VLAN %d of RPNv2 group %s", server, h.Name, vlan, privateNetworkName(e.Cluster()))
	return nil
}

// rpnGroupFor returns the cluster's RPNv2 group, found by name or created
// with server (created is then true). In a dry run where the group does not
// exist, the first host plans its creation and every host gets
// run.ErrPlanned.
func (s *network) rpnGroupFor(ctx context.Context, st *run.Step, c *scaleway.Session, h inventory.HostPlan, server uint64) (id uint64, created bool, err error) {
	e := s.env
	n := &c.Networks
	n.Lock()
	defer n.Unlock()
	if n.RPNGroup != 0 {
		return n.RPNGroup, false, nil
	}
	if n.RPNPlanned {
		return 0, false, run.ErrPlanned
	}
	g, err := c.FindRPNGroup(ctx, privateNetworkName(e.Cluster()))
	if err != nil || g != nil {
		if g != nil {
			n.RPNGroup = g.ID
		}
		return n.RPNGroup, false, err
	}
	id, err = s.createRPNGroup(ctx, st, c, h, server)
	if errors.Is(err, run.ErrPlanned) {
		n.RPNPlanned = true
	}
	n.RPNGroup = id
	return id, err == nil || n.RPNPlanned, err
}

// createRPNGroup creates the group with h's server, journaled: a group
// created without an answer, or by a run that died before recording it, is
// found by name.
func (s *network) createRPNGroup(ctx context.Context, st *run.Step, c *scaleway.Session, h inventory.HostPlan, server uint64) (uint64, error) {
	e := s.env
	name := privateNetworkName(e.Cluster())
	unresolved := func() []state.Record {
		return e.State.Journal.Unresolved(Network, privateNetworkTarget, actionRPNGroup)
	}
	var id uint64
	m := run.Mutation{API: "scaleway", Verb: "create", Object: "RPNv2 group " + name, Detail: "with " + dediboxLabel(server, h), Request: scaleway.ReqRPNCreate}
	err := sendOnce(ctx, st, c, m, func(ctx context.Context) error {
		if err := failIntents(e.State.Journal, unresolved(), "no group named "+name+" exists"); err != nil {
			return err
		}
		intent, err := e.State.Journal.Intent(Network, privateNetworkTarget, actionRPNGroup, map[string]string{"name": name})
		if err != nil {
			return err
		}
		gid, err := c.CreateRPNGroup(ctx, name, server)
		if err != nil {
			return orderFailed(e.State.Journal, intent, err)
		}
		id = gid
		return e.State.Journal.Complete(intent, map[string]string{"group_id": strconv.FormatUint(gid, 10)})
	}, func(ctx context.Context) (bool, error) {
		g, err := c.FindRPNGroup(ctx, name)
		if err != nil || g == nil {
			return false, err
		}
		id = g.ID
		return true, resolveIntents(e.State.Journal, unresolved(), map[string]string{"group_id": strconv.FormatUint(g.ID, 10)})
	})
	return id, err
}

// addRPNMember adds h's server to the group; an add without an answer is
// looked for among the members before it is sent again.
func (s *network) addRPNMember(ctx context.Context, st *run.Step, c *scaleway.Session, group, server uint64, h inventory.HostPlan) error {
	e := s.env
	m := run.Mutation{API: "scaleway", Verb: "add", Object: fmt.Sprintf("%s to RPNv2 group %s", dediboxLabel(server, h), privateNetworkName(e.Cluster())), Request: scaleway.ReqRPNAddMembers}
	return sendOnce(ctx, st, c, m, func(ctx context.Context) error {
		return c.AddRPNMember(ctx, group, server)
	}, func(ctx context.Context) (bool, error) {
		mb, err := s.rpnMemberOf(ctx, st, c, group, server)
		return mb != nil, err
	})
}

// setRPNVLAN puts h's member on the inventory's VLAN and waits until it is
// active again (member is 0 in a plan where it does not exist yet).
func (s *network) setRPNVLAN(ctx context.Context, st *run.Step, c *scaleway.Session, group, member, server uint64, h inventory.HostPlan) error {
	e := s.env
	vlan := uint32(e.Cluster().Network.VLAN)
	m := run.Mutation{API: "scaleway", Verb: "set", Object: fmt.Sprintf("VLAN %d on %s's member of RPNv2 group %s", vlan, h.Name, privateNetworkName(e.Cluster())), Request: scaleway.ReqRPNVLAN}
	return st.Mutate(ctx, m, func(ctx context.Context) error {
		if err := c.SetRPNVLAN(ctx, group, member, vlan); err != nil {
			return err
		}
		_, err := s.rpnMemberSettled(ctx, st, c, group, server, h)
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

// rpnMemberOf returns server's member of the group, or nil. Members whose
// server is not this cluster's are left alone, as everything tripod does
// not own, and said so once.
func (s *network) rpnMemberOf(ctx context.Context, st *run.Step, c *scaleway.Session, group, server uint64) (*dedibox.RpnV2Member, error) {
	e := s.env
	members, err := c.RPNMembers(ctx, group)
	var out *dedibox.RpnV2Member
	var foreign []string
	for _, m := range members {
		switch {
		case m.Server == nil || m.Status == dedibox.RpnV2MemberStatusDeleting:
		case m.Server.ID == server:
			out = m
		case !slices.Contains(m.Server.Tags, e.ServerTag()):
			foreign = append(foreign, fmt.Sprintf("server %d (member %d)", m.Server.ID, m.ID))
		}
	}
	s.warnOnce(st, "rpn-foreign", len(foreign) > 0, "RPNv2 group %s also holds %s, not this cluster's; left as it is", privateNetworkName(e.Cluster()), orNone(foreign))
	return out, err
}

// rpnMemberSettled waits until server's member is active (created, or on
// its new VLAN) and returns it.
func (s *network) rpnMemberSettled(ctx context.Context, st *run.Step, c *scaleway.Session, group, server uint64, h inventory.HostPlan) (*dedibox.RpnV2Member, error) {
	var out *dedibox.RpnV2Member
	name := fmt.Sprintf("server %d (%s) active in RPNv2 group %d", server, h.Name, group)
	err := c.WaitNetwork(ctx, st.Progress, name, func(ctx context.Context) (bool, string, error) {
		m, err := s.rpnMemberOf(ctx, st, c, group, server)
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
