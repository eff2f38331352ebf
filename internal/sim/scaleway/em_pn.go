package scaleway

import (
	"hash/fnv"
	"net/http"
	"slices"
	"time"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// serverPNW is a baremetal/v3 ServerPrivateNetwork on the wire.
type serverPNW struct {
	ID               string    `json:"id"`
	ProjectID        string    `json:"project_id"`
	ServerID         string    `json:"server_id"`
	PrivateNetworkID string    `json:"private_network_id"`
	Vlan             *uint32   `json:"vlan"`
	Status           string    `json:"status"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
	IpamIPIDs        []string  `json:"ipam_ip_ids"`
}

// pnStatus: attaching --OpPrivateNetwork--> attached; detaching --> gone.
func (s *Sim) pnStatus(p *serverPN, now time.Time) string {
	switch {
	case p.DetachAt != nil:
		return "detaching"
	case s.env.Done(p.CreatedAt, simcore.OpPrivateNetwork, "pn/"+p.ID):
		return "attached"
	}
	return "attaching"
}

func (s *Sim) pnWire(p *serverPN, now time.Time) serverPNW {
	v := p.Vlan
	return serverPNW{
		ID: p.ID, ProjectID: p.ProjectID, ServerID: p.ServerID, PrivateNetworkID: p.PrivateNetworkID,
		Vlan: &v, Status: s.pnStatus(p, now), CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
		IpamIPIDs: slices.Clone(nonNil(p.IPAMIPIDs)),
	}
}

// advancePNs drops attachments whose detach finished.
func (s *Sim) advancePNs() {
	kept := s.w.PNs[:0]
	for _, p := range s.w.PNs {
		if p.DetachAt == nil || !s.env.Done(*p.DetachAt, simcore.OpPrivateNetwork, "pn/"+p.ID+"/detach") {
			kept = append(kept, p)
		}
	}
	s.w.PNs = kept
}

// pnServer finds the server of a v3 request; it must be delivered.
func (s *Sim) pnServer(r *http.Request, now time.Time) (*emServer, error) {
	e, err := s.emFromPath(r)
	if err != nil {
		return nil, err
	}
	if st := s.emStatus(e, now); st == "ordered" || st == "delivering" || st == "deleting" {
		return nil, transientState("baremetal_server", e.ID, st)
	}
	return e, nil
}

func (s *Sim) findPN(serverID, pnID string) *serverPN {
	for _, p := range s.w.PNs {
		if p.ServerID == serverID && p.PrivateNetworkID == pnID && p.DetachAt == nil {
			return p
		}
	}
	return nil
}

// attachable checks that pnID is a private network of the server's region.
// An unknown one is the VPC API's typed 404 of resource "private_network"
// (its recorded shape). No answer for another region's network is recorded:
// Elastic Metal can only reach the VPC API of its own region, where such a
// network does not exist, so it gets the same 404 (inferred).
func (s *Sim) attachable(e *emServer, pnID string) error {
	if s.findPrivNet(regionOf(e.Zone), pnID) == nil {
		return notFound("private_network", pnID)
	}
	return nil
}

// attach records a new attachment. Its VLAN is drawn per server and private
// network (a hash, then the next free one), so two servers on the same
// private network usually see different VLANs, as a client must expect.
func (s *Sim) attach(e *emServer, pnID string, ipam []string, now time.Time) *serverPN {
	h := fnv.New32a()
	h.Write([]byte(e.ID + "/" + pnID))
	vlan := 100 + h.Sum32()%3900
	for slices.ContainsFunc(s.w.PNs, func(p *serverPN) bool { return p.ServerID == e.ID && p.Vlan == vlan }) {
		vlan = 100 + (vlan-100+1)%3900
	}
	p := &serverPN{
		ID: s.newUUID(), Zone: e.Zone, ServerID: e.ID, PrivateNetworkID: pnID, ProjectID: e.ProjectID,
		Vlan: vlan, IPAMIPIDs: nonNil(ipam), CreatedAt: now, UpdatedAt: now,
	}
	s.w.PNs = append(s.w.PNs, p)
	return p
}

func (s *Sim) addServerPN(r *http.Request, now time.Time) (any, error) {
	e, err := s.pnServer(r, now)
	if err != nil {
		return nil, err
	}
	var req struct {
		PrivateNetworkID string   `json:"private_network_id"`
		IpamIPIDs        []string `json:"ipam_ip_ids"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if !isUUID(req.PrivateNetworkID) {
		return nil, invalidArg("private_network_id", "constraint", "must be a valid UUID")
	}
	if err := s.attachable(e, req.PrivateNetworkID); err != nil {
		return nil, err
	}
	if s.findPN(e.ID, req.PrivateNetworkID) != nil {
		return nil, invalidArg("private_network_id", "constraint", "the server is already attached to this private network")
	}
	return s.pnWire(s.attach(e, req.PrivateNetworkID, req.IpamIPIDs, now), now), nil
}

// setServerPNs makes the server's attachments exactly the given set.
func (s *Sim) setServerPNs(r *http.Request, now time.Time) (any, error) {
	e, err := s.pnServer(r, now)
	if err != nil {
		return nil, err
	}
	var req struct {
		PerPN map[string]*[]string `json:"per_private_network_ipam_ip_ids"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	for id := range req.PerPN {
		if !isUUID(id) {
			return nil, invalidArg("per_private_network_ipam_ip_ids", "constraint", id+" is not a valid UUID")
		}
		if err := s.attachable(e, id); err != nil {
			return nil, err
		}
	}
	for _, p := range s.w.PNs {
		if _, keep := req.PerPN[p.PrivateNetworkID]; p.ServerID == e.ID && p.DetachAt == nil && !keep {
			p.DetachAt, p.UpdatedAt = &now, now
		}
	}
	out := []serverPNW{}
	for _, id := range sortedKeys(req.PerPN) {
		var ipam []string
		if v := req.PerPN[id]; v != nil {
			ipam = *v
		}
		p := s.findPN(e.ID, id)
		if p == nil {
			p = s.attach(e, id, ipam, now)
		} else if !slices.Equal(p.IPAMIPIDs, ipam) {
			p.IPAMIPIDs, p.UpdatedAt = nonNil(ipam), now
		}
		out = append(out, s.pnWire(p, now))
	}
	return map[string]any{"server_private_networks": out}, nil
}

func (s *Sim) deleteServerPN(r *http.Request, now time.Time) (any, error) {
	e, err := s.emFromPath(r)
	if err != nil {
		return nil, err
	}
	id := r.PathValue("private_network_id")
	p := s.findPN(e.ID, id)
	if p == nil {
		return nil, notFound("server_private_network", id)
	}
	p.DetachAt, p.UpdatedAt = &now, now
	return nil, nil
}

func (s *Sim) listServerPNs(r *http.Request, now time.Time) (any, error) {
	zone, err := emZone(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	var all []serverPNW
	for _, p := range s.w.PNs {
		switch {
		case p.Zone != zone,
			q.Get("server_id") != "" && q.Get("server_id") != p.ServerID,
			q.Get("private_network_id") != "" && q.Get("private_network_id") != p.PrivateNetworkID,
			q.Get("project_id") != "" && q.Get("project_id") != p.ProjectID,
			q.Get("organization_id") != "" && q.Get("organization_id") != s.creds.OrganizationID,
			!containsAll(p.IPAMIPIDs, q["ipam_ip_ids"]):
			continue
		}
		all = append(all, s.pnWire(p, now))
	}
	if q.Get("order_by") == "created_at_desc" || q.Get("order_by") == "updated_at_desc" {
		slices.Reverse(all)
	}
	lo, hi, err := page(r, len(all))
	if err != nil {
		return nil, err
	}
	return map[string]any{"server_private_networks": nonNil(all[lo:hi]), "total_count": len(all)}, nil
}
