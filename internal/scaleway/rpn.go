package scaleway

import (
	"context"

	dedibox "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"
	"github.com/scaleway/scaleway-sdk-go/scw"
)

// FindRPNGroup finds the project's RPNv2 group named name that is not being
// deleted, or nil.
func (s *Session) FindRPNGroup(ctx context.Context, name string) (*dedibox.RpnV2Group, error) {
	var out *dedibox.RpnV2Group
	err := s.Read(ctx, func(ctx context.Context) error {
		r, err := s.RPN.ListRpnV2Groups(&dedibox.RpnV2ApiListRpnV2GroupsRequest{ProjectID: &s.ProjectID}, scw.WithContext(ctx), scw.WithAllPages())
		for _, g := range listOrNil(r, err, func(r *dedibox.ListRpnV2GroupsResponse) []*dedibox.RpnV2Group { return r.RpnGroups }) {
			if g.Name == name && g.Status != dedibox.RpnV2GroupStatusDeleting && out == nil {
				out = g
			}
		}
		return err
	})
	return out, Wrap(err, "list the RPNv2 groups of project %s", s.ProjectID)
}

// RPNMembers lists the members of RPNv2 group, those being deleted
// included.
func (s *Session) RPNMembers(ctx context.Context, group uint64) ([]*dedibox.RpnV2Member, error) {
	var out []*dedibox.RpnV2Member
	err := s.Read(ctx, func(ctx context.Context) error {
		r, err := s.RPN.ListRpnV2Members(&dedibox.RpnV2ApiListRpnV2MembersRequest{GroupID: group}, scw.WithContext(ctx), scw.WithAllPages())
		out = listOrNil(r, err, func(r *dedibox.ListRpnV2MembersResponse) []*dedibox.RpnV2Member { return r.Members })
		return err
	})
	return out, Wrap(err, "list the members of RPNv2 group %d", group)
}

// CreateRPNGroup sends one creation of the standard RPNv2 group name with
// server as its first member. The error is the SDK's, for the caller to
// tell a refusal from a lost answer.
func (s *Session) CreateRPNGroup(ctx context.Context, name string, server uint64) (uint64, error) {
	g, err := s.RPN.CreateRpnV2Group(&dedibox.RpnV2ApiCreateRpnV2GroupRequest{ProjectID: s.ProjectID, Type: dedibox.RpnV2GroupTypeStandard, Name: name, Servers: []uint64{server}}, scw.WithContext(ctx))
	if err != nil {
		return 0, err
	}
	return g.ID, nil
}

// AddRPNMember sends one add of server to group (the caller looks for it
// among the members before sending it again).
func (s *Session) AddRPNMember(ctx context.Context, group, server uint64) error {
	return Evidence(s.RPN.AddRpnV2Members(&dedibox.RpnV2ApiAddRpnV2MembersRequest{GroupID: group, Servers: []uint64{server}}, scw.WithContext(ctx)))
}

// SetRPNVLAN puts member of group on vlan: safe to repeat, so retried.
func (s *Session) SetRPNVLAN(ctx context.Context, group, member uint64, vlan uint32) error {
	return Evidence(s.Read(ctx, func(ctx context.Context) error {
		return s.RPN.UpdateRpnV2VlanForMembers(&dedibox.RpnV2ApiUpdateRpnV2VlanForMembersRequest{GroupID: group, MemberIDs: []uint64{member}, Vlan: &vlan}, scw.WithContext(ctx))
	}))
}

// WaitNetwork polls check as the named condition at the pace private
// network changes settle (seconds to minutes).
func (s *Session) WaitNetwork(ctx context.Context, progress Progress, name string, check func(ctx context.Context) (bool, string, error)) error {
	return s.Wait(ctx, progress, name, networkPoll, networkTimeout, check)
}
