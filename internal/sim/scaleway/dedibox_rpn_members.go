package scaleway

import (
	"net/http"
	"slices"
	"time"
)

func (s *Sim) getRPNGroup(r *http.Request, _ time.Time) (any, error) {
	g, err := s.groupFromPath(r)
	if err != nil {
		return nil, err
	}
	return s.groupWire(g), nil
}

func (s *Sim) listRPNGroups(r *http.Request, _ time.Time) (any, error) {
	q := r.URL.Query()
	var all []rpnGroupW
	for _, g := range s.w.Groups {
		if g.ProjectID != s.creds.ProjectID || (q.Get("project_id") != "" && q.Get("project_id") != g.ProjectID) {
			continue
		}
		all = append(all, s.groupWire(g))
	}
	if q.Get("order_by") == "created_at_desc" {
		slices.Reverse(all)
	}
	lo, hi, err := page(r, len(all))
	if err != nil {
		return nil, err
	}
	return map[string]any{"rpn_groups": nonNil(all[lo:hi]), "total_count": len(all)}, nil
}

func (s *Sim) deleteRPNGroup(r *http.Request, now time.Time) (any, error) {
	g, err := s.groupFromPath(r)
	if err != nil {
		return nil, err
	}
	if g.DeletedAt != nil {
		return nil, transientState("rpnv2_group", itoa(g.ID), "deleting")
	}
	g.DeletedAt = &now
	return nil, nil
}

func (s *Sim) renameRPNGroup(r *http.Request, _ time.Time) (any, error) {
	g, err := s.groupFromPath(r)
	if err != nil {
		return nil, err
	}
	var req struct {
		Name *string `json:"name"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if req.Name != nil && *req.Name != "" {
		g.Name = *req.Name
	}
	return s.groupWire(g), nil
}

func (s *Sim) listRPNMembers(r *http.Request, now time.Time) (any, error) {
	g, err := s.groupFromPath(r)
	if err != nil {
		return nil, err
	}
	if t := r.URL.Query().Get("type"); t == "rpnv1_group" {
		return map[string]any{"members": []rpnMemberW{}, "total_count": 0}, nil
	}
	var all []rpnMemberW
	speed := uint32(1000)
	for _, m := range g.Members {
		w := rpnMemberW{ID: m.ID, Status: s.memberStatus(m), Vlan: m.Vlan, Speed: &speed}
		if d := s.findDServer(m.ServerID, now); d != nil {
			sw := s.dServerWire(d, now)
			w.Server = &sw
		}
		all = append(all, w)
	}
	lo, hi, err := page(r, len(all))
	if err != nil {
		return nil, err
	}
	return map[string]any{"members": nonNil(all[lo:hi]), "total_count": len(all)}, nil
}

func (s *Sim) addRPNMembers(r *http.Request, now time.Time) (any, error) {
	g, err := s.groupFromPath(r)
	if err != nil {
		return nil, err
	}
	if g.DeletedAt != nil {
		return nil, transientState("rpnv2_group", itoa(g.ID), "deleting")
	}
	var req struct {
		Servers []uint64 `json:"servers"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return nil, s.addMembers(g, req.Servers, now)
}

// groupMembers resolves member_ids of g, refusing unknown or deleting ones.
func (s *Sim) groupMembers(g *rpnGroup, ids []uint64) ([]*rpnMember, error) {
	var out []*rpnMember
	for _, id := range ids {
		i := slices.IndexFunc(g.Members, func(m *rpnMember) bool { return m.ID == id && m.DeletedAt == nil })
		if i < 0 {
			return nil, invalidArg("member_ids", "constraint", "unknown member "+itoa(id))
		}
		out = append(out, g.Members[i])
	}
	if len(out) == 0 {
		return nil, invalidArg("member_ids", "required", "at least one member is required")
	}
	return out, nil
}

func (s *Sim) deleteRPNMembers(r *http.Request, now time.Time) (any, error) {
	g, err := s.groupFromPath(r)
	if err != nil {
		return nil, err
	}
	var req struct {
		MemberIDs []uint64 `json:"member_ids"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	members, err := s.groupMembers(g, req.MemberIDs)
	if err != nil {
		return nil, err
	}
	for _, m := range members {
		m.DeletedAt = &now
	}
	return nil, nil
}

// setRPNVlan serves UpdateRpnV2VlanForMembers. VLAN IDs 1 to 3967 are
// accepted (Scaleway's RPNv2 documentation; the upper range is reserved).
func (s *Sim) setRPNVlan(r *http.Request, now time.Time) (any, error) {
	g, err := s.groupFromPath(r)
	if err != nil {
		return nil, err
	}
	var req struct {
		MemberIDs []uint64 `json:"member_ids"`
		Vlan      *uint32  `json:"vlan"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if req.Vlan == nil || *req.Vlan < 1 || *req.Vlan > 3967 {
		return nil, invalidArg("vlan", "constraint", "must be between 1 and 3967")
	}
	members, err := s.groupMembers(g, req.MemberIDs)
	if err != nil {
		return nil, err
	}
	for _, m := range members {
		m.Vlan, m.ChangedAt, m.Change, m.Changing = itoa(*req.Vlan), now, s.nextRun(), "updating"
	}
	return nil, nil
}

// listRPNCapable lists the delivered servers of the project, all RPNv2-capable.
func (s *Sim) listRPNCapable(r *http.Request, now time.Time) (any, error) {
	q := r.URL.Query()
	var all []dServerW
	for _, d := range s.w.Dedibox {
		switch {
		case !s.dVisible(d, now), d.DeletedAt != nil, !s.dDelivered(d, now),
			d.ProjectID != s.creds.ProjectID,
			q.Get("project_id") != "" && q.Get("project_id") != d.ProjectID:
			continue
		}
		all = append(all, s.dServerWire(d, now))
	}
	lo, hi, err := page(r, len(all))
	if err != nil {
		return nil, err
	}
	return map[string]any{"servers": nonNil(all[lo:hi]), "total_count": len(all)}, nil
}
