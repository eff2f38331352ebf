package scaleway

import (
	"net/http"
	"slices"
	"time"
)

// Private networks (/vpc/v2/regions/{region}/private-networks). Recorded:
// create and update answer 200 with the network, delete answers 204 with no
// body, and a GET after the delete is the typed 404 of resource
// "private_network". A network with attachments is refused with 412
// precondition_failed / resource_still_in_use and the help message the SDK
// prints in terraform issue #3243; terraform retries exactly on that 412.

func (s *Sim) createPrivateNetwork(r *http.Request, now time.Time) (any, error) {
	region, err := vpcRegion(r)
	if err != nil {
		return nil, err
	}
	var req struct {
		Name      string   `json:"name"`
		ProjectID *string  `json:"project_id"`
		Tags      []string `json:"tags"`
		Subnets   []string `json:"subnets"`
		VpcID     *string  `json:"vpc_id"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	project, err := s.requestProject(req.ProjectID, nil, "private_network")
	if err != nil {
		return nil, err
	}
	v, err := s.pnVPC(region, project, req.VpcID, now)
	if err != nil {
		return nil, err
	}
	subnets, err := s.pnSubnets(v, req.Subnets)
	if err != nil {
		return nil, err
	}
	if req.Name == "" {
		// The SDK always names one (namegenerator); a raw client may not.
		req.Name = "pn-" + itoa(len(s.w.Networks)+1)
	}
	p := &privNet{
		ID: s.newUUID(), Region: region, VPCID: v.ID, Name: req.Name, ProjectID: project,
		Tags: nonNil(slices.Clone(req.Tags)), Subnets: subnets, CreatedAt: now, UpdatedAt: now,
	}
	s.w.Networks = append(s.w.Networks, p)
	return s.privNetWire(p), nil
}

// pnVPC is the VPC a new network goes in: the asked one, which must exist
// in the region, or the project's default one, created on first use.
func (s *Sim) pnVPC(region, project string, asked *string, now time.Time) (*vpcNet, error) {
	if asked == nil || *asked == "" {
		return s.defaultVPC(region, project, now), nil
	}
	if !isUUID(*asked) {
		return nil, invalidArg("vpc_id", "constraint", "must be a valid UUID")
	}
	v := s.findVPC(region, *asked)
	if v == nil || v.ProjectID != project {
		return nil, notFound("vpc", *asked)
	}
	return v, nil
}

// privNetFromPath finds the network of the path in the path's region.
func (s *Sim) privNetFromPath(r *http.Request) (*privNet, error) {
	region, err := vpcRegion(r)
	if err != nil {
		return nil, err
	}
	id, err := pathUUID(r, "private_network_id")
	if err != nil {
		return nil, err
	}
	p := s.findPrivNet(region, id)
	if p == nil {
		return nil, notFound("private_network", id)
	}
	return p, nil
}

func (s *Sim) getPrivateNetwork(r *http.Request, _ time.Time) (any, error) {
	p, err := s.privNetFromPath(r)
	if err != nil {
		return nil, err
	}
	return s.privNetWire(p), nil
}

// updatePrivateNetwork changes the name and tags; both are optional.
func (s *Sim) updatePrivateNetwork(r *http.Request, now time.Time) (any, error) {
	p, err := s.privNetFromPath(r)
	if err != nil {
		return nil, err
	}
	var req struct {
		Name *string   `json:"name"`
		Tags *[]string `json:"tags"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if req.Name != nil {
		if *req.Name == "" {
			return nil, invalidArg("name", "constraint", "must not be empty")
		}
		p.Name = *req.Name
	}
	if req.Tags != nil {
		p.Tags = nonNil(slices.Clone(*req.Tags))
	}
	p.UpdatedAt = now
	return s.privNetWire(p), nil
}

// deletePrivateNetwork refuses while any server is attached, detaching
// ones included: the network is only empty once their detach finished.
func (s *Sim) deletePrivateNetwork(r *http.Request, _ time.Time) (any, error) {
	p, err := s.privNetFromPath(r)
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(s.w.PNs, func(a *serverPN) bool { return a.PrivateNetworkID == p.ID }) {
		return nil, preconditionFailed("resource_still_in_use", "Private Network must be empty to be deleted")
	}
	s.w.Networks = slices.DeleteFunc(s.w.Networks, func(x *privNet) bool { return x == p })
	return nil, nil
}

// listPrivateNetworks serves ListPrivateNetworks with every filter the SDK
// sends; dhcp_enabled matches true only (DHCP is always on here) and
// object_storage_private_access_enabled false only (never enabled here).
func (s *Sim) listPrivateNetworks(r *http.Request, _ time.Time) (any, error) {
	region, err := vpcRegion(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	var all []*privNet
	for _, p := range s.w.Networks {
		switch {
		case p.Region != region,
			!nameMatches(q.Get("name"), p.Name),
			!anyTag(p.Tags, q["tags"]),
			q.Get("organization_id") != "" && q.Get("organization_id") != s.creds.OrganizationID,
			q.Get("project_id") != "" && q.Get("project_id") != p.ProjectID,
			q.Get("vpc_id") != "" && q.Get("vpc_id") != p.VPCID,
			len(q["private_network_ids"]) > 0 && !slices.Contains(q["private_network_ids"], p.ID),
			!boolFilter(q.Get("dhcp_enabled"), true),
			!boolFilter(q.Get("object_storage_private_access_enabled"), false):
			continue
		}
		all = append(all, p)
	}
	if err := orderByName(r, all, func(p *privNet) string { return p.Name }); err != nil {
		return nil, err
	}
	lo, hi, err := page(r, len(all))
	if err != nil {
		return nil, err
	}
	out := []privNetW{}
	for _, p := range all[lo:hi] {
		out = append(out, s.privNetWire(p))
	}
	return map[string]any{"private_networks": out, "total_count": len(all)}, nil
}
