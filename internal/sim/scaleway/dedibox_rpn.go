package scaleway

import (
	"net/http"
	"slices"
	"time"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// RPNv2 groups (/dedibox/v1/rpnv2/groups, not zoned). Every change settles
// after OpPrivateNetwork: a group is creating, then active; while one of its
// members is creating, updating (VLAN) or deleting, the group is updating, so
// the SDK's WaitForRpnV2Group ends exactly when the whole group has settled.

type rpnGroupW struct {
	ID              uint64    `json:"id"`
	Name            string    `json:"name"`
	CompatibleRpnv1 bool      `json:"compatible_rpnv1"`
	OrganizationID  string    `json:"organization_id"`
	ProjectID       string    `json:"project_id"`
	Type            string    `json:"type"`
	Status          string    `json:"status"`
	Owner           string    `json:"owner"`
	MembersCount    uint32    `json:"members_count"`
	Subnet          *struct{} `json:"subnet"`
	Gateway         *string   `json:"gateway"`
	Rpnv1Group      *struct{} `json:"rpnv1_group"`
}

type rpnMemberW struct {
	ID     uint64    `json:"id"`
	Status string    `json:"status"`
	Vlan   string    `json:"vlan"`
	Server *dServerW `json:"server,omitempty"`
	Speed  *uint32   `json:"speed"`
}

func (s *Sim) memberStatus(m *rpnMember) string {
	switch {
	case m.DeletedAt != nil:
		return "deleting"
	case !s.env.Done(m.ChangedAt, simcore.OpPrivateNetwork, "rpn-member/"+itoa(m.Change)):
		return m.Changing
	}
	return "active"
}

func (s *Sim) groupStatus(g *rpnGroup) string {
	switch {
	case g.DeletedAt != nil:
		return "deleting"
	case !s.env.Done(g.CreatedAt, simcore.OpPrivateNetwork, "rpn-group/"+itoa(g.ID)):
		return "creating"
	}
	for _, m := range g.Members {
		if s.memberStatus(m) != "active" {
			return "updating"
		}
	}
	return "active"
}

func (s *Sim) groupWire(g *rpnGroup) rpnGroupW {
	return rpnGroupW{
		ID: g.ID, Name: g.Name, OrganizationID: s.creds.OrganizationID, ProjectID: g.ProjectID,
		Type: g.Type, Status: s.groupStatus(g), Owner: "simulator", MembersCount: uint32(len(g.Members)),
	}
}

// advanceRPN removes groups and members whose deletion settled.
func (s *Sim) advanceRPN() {
	groups := s.w.Groups[:0]
	for _, g := range s.w.Groups {
		if g.DeletedAt != nil && s.env.Done(*g.DeletedAt, simcore.OpPrivateNetwork, "rpn-group/"+itoa(g.ID)+"/delete") {
			continue
		}
		members := g.Members[:0]
		for _, m := range g.Members {
			if m.DeletedAt == nil || !s.env.Done(*m.DeletedAt, simcore.OpPrivateNetwork, "rpn-member/"+itoa(m.Change)+"/delete") {
				members = append(members, m)
			}
		}
		g.Members = members
		groups = append(groups, g)
	}
	s.w.Groups = groups
}

func (s *Sim) inRPNGroup(serverID uint64) bool {
	for _, g := range s.w.Groups {
		for _, m := range g.Members {
			if m.ServerID == serverID {
				return true
			}
		}
	}
	return false
}

// dropRPNMemberships removes a server that is gone from every group.
func (s *Sim) dropRPNMemberships(serverID uint64, _ time.Time) {
	for _, g := range s.w.Groups {
		g.Members = slices.DeleteFunc(g.Members, func(m *rpnMember) bool { return m.ServerID == serverID })
	}
}

// addMembers checks the servers (visible, delivered, of the project, not
// already in g) and adds them as creating members.
func (s *Sim) addMembers(g *rpnGroup, servers []uint64, now time.Time) error {
	for _, id := range servers {
		d := s.findDServer(id, now)
		switch {
		case d == nil || d.ProjectID != g.ProjectID:
			return invalidArg("servers", "constraint", "unknown server "+itoa(id))
		case d.DeletedAt != nil || !s.dDelivered(d, now):
			return invalidArg("servers", "constraint", "server "+itoa(id)+" is not delivered")
		case slices.ContainsFunc(g.Members, func(m *rpnMember) bool { return m.ServerID == id && m.DeletedAt == nil }):
			return invalidArg("servers", "constraint", "server "+itoa(id)+" is already a member of this group")
		}
	}
	for _, id := range servers {
		s.w.Seq.Member++
		g.Members = append(g.Members, &rpnMember{ID: s.w.Seq.Member, ServerID: id, ChangedAt: now, Change: s.nextRun(), Changing: "creating"})
	}
	return nil
}

func (s *Sim) createRPNGroup(r *http.Request, now time.Time) (any, error) {
	var req struct {
		ProjectID *string  `json:"project_id"`
		Type      string   `json:"type"`
		Name      string   `json:"name"`
		Servers   []uint64 `json:"servers"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	project, err := s.requestProject(req.ProjectID, nil, "rpnv2_group")
	if err != nil {
		return nil, err
	}
	switch req.Type {
	case "", "unknown_type":
		req.Type = "standard"
	case "standard", "qinq":
	default:
		return nil, invalidArg("type", "constraint", "must be standard or qinq")
	}
	if req.Name == "" {
		return nil, invalidArg("name", "required", "name is required")
	}
	g := &rpnGroup{Name: req.Name, Type: req.Type, ProjectID: project, CreatedAt: now}
	if err := s.addMembers(g, req.Servers, now); err != nil {
		return nil, err
	}
	s.w.Seq.Group++
	g.ID = s.w.Seq.Group
	s.w.Groups = append(s.w.Groups, g)
	return s.groupWire(g), nil
}

func (s *Sim) groupFromPath(r *http.Request) (*rpnGroup, error) {
	id, err := pathUint(r, "group_id")
	if err != nil {
		return nil, err
	}
	for _, g := range s.w.Groups {
		if g.ID == id && g.ProjectID == s.creds.ProjectID {
			return g, nil
		}
	}
	return nil, notFound("rpnv2_group", itoa(id))
}
