package scaleway

import (
	"net/http"
	"time"
)

// VPCs (/vpc/v2/regions/{region}/vpcs): read only. Listing a region shows
// the project's default VPC even before any network was created there, as
// every Scaleway project has one per region; creating, updating and deleting
// VPCs are not modelled (501).

func (s *Sim) listVPCs(r *http.Request, now time.Time) (any, error) {
	region, err := vpcRegion(r)
	if err != nil {
		return nil, err
	}
	s.defaultVPC(region, s.creds.ProjectID, now)
	q := r.URL.Query()
	var all []*vpcNet
	for _, v := range s.w.VPCs {
		switch {
		case v.Region != region,
			!nameMatches(q.Get("name"), v.Name),
			!anyTag(v.Tags, q["tags"]),
			q.Get("organization_id") != "" && q.Get("organization_id") != s.creds.OrganizationID,
			q.Get("project_id") != "" && q.Get("project_id") != v.ProjectID,
			!boolFilter(q.Get("is_default"), v.IsDefault),
			!boolFilter(q.Get("routing_enabled"), false),
			!boolFilter(q.Get("object_storage_private_access_enabled"), false):
			continue
		}
		all = append(all, v)
	}
	if err := orderByName(r, all, func(v *vpcNet) string { return v.Name }); err != nil {
		return nil, err
	}
	lo, hi, err := page(r, len(all))
	if err != nil {
		return nil, err
	}
	out := []vpcW{}
	for _, v := range all[lo:hi] {
		out = append(out, s.vpcWire(v))
	}
	return map[string]any{"vpcs": out, "total_count": len(all)}, nil
}

func (s *Sim) getVPC(r *http.Request, _ time.Time) (any, error) {
	region, err := vpcRegion(r)
	if err != nil {
		return nil, err
	}
	id, err := pathUUID(r, "vpc_id")
	if err != nil {
		return nil, err
	}
	v := s.findVPC(region, id)
	if v == nil {
		return nil, notFound("vpc", id)
	}
	return s.vpcWire(v), nil
}
