package scaleway

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// VPC v2 (/vpc/v2/regions/{region}), as scaleway-sdk-go v1.39.0 decodes it.
// Field sets follow the SDK's types; the recorded answers (terraform
// cassettes, 2023 to 2025) carry a subset of them, in the same shapes.

type vpcW struct {
	ID                                string    `json:"id"`
	Name                              string    `json:"name"`
	OrganizationID                    string    `json:"organization_id"`
	ProjectID                         string    `json:"project_id"`
	Region                            string    `json:"region"`
	Tags                              []string  `json:"tags"`
	IsDefault                         bool      `json:"is_default"`
	CreatedAt                         time.Time `json:"created_at"`
	UpdatedAt                         time.Time `json:"updated_at"`
	PrivateNetworkCount               uint32    `json:"private_network_count"`
	RoutingEnabled                    bool      `json:"routing_enabled"`
	CustomRoutesPropagationEnabled    bool      `json:"custom_routes_propagation_enabled"`
	TransitivityEnabled               bool      `json:"transitivity_enabled"`
	ObjectStoragePrivateAccessEnabled bool      `json:"object_storage_private_access_enabled"`
}

type subnetW struct {
	ID               string    `json:"id"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
	Subnet           string    `json:"subnet"`
	ProjectID        string    `json:"project_id"`
	PrivateNetworkID string    `json:"private_network_id"`
	VpcID            string    `json:"vpc_id"`
	Region           string    `json:"region"`
}

type privNetW struct {
	ID                             string    `json:"id"`
	Name                           string    `json:"name"`
	OrganizationID                 string    `json:"organization_id"`
	ProjectID                      string    `json:"project_id"`
	Region                         string    `json:"region"`
	Tags                           []string  `json:"tags"`
	CreatedAt                      time.Time `json:"created_at"`
	UpdatedAt                      time.Time `json:"updated_at"`
	Subnets                        []subnetW `json:"subnets"`
	VpcID                          string    `json:"vpc_id"`
	DHCPEnabled                    bool      `json:"dhcp_enabled"`
	DefaultRoutePropagationEnabled bool      `json:"default_route_propagation_enabled"`
	HasObjectStoragePrivateAccess  bool      `json:"has_object_storage_private_access"`
}

func (s *Sim) vpcWire(v *vpcNet) vpcW {
	n := 0
	for _, p := range s.w.Networks {
		if p.VPCID == v.ID {
			n++
		}
	}
	return vpcW{
		ID: v.ID, Name: v.Name, OrganizationID: s.creds.OrganizationID, ProjectID: v.ProjectID, Region: v.Region,
		Tags: slices.Clone(nonNil(v.Tags)), IsDefault: v.IsDefault, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt,
		PrivateNetworkCount: uint32(n),
	}
}

// privNetWire shows p; DHCP is on, as on every recorded regional network.
func (s *Sim) privNetWire(p *privNet) privNetW {
	subnets := []subnetW{}
	for _, sn := range p.Subnets {
		subnets = append(subnets, subnetW{
			ID: sn.ID, CreatedAt: p.CreatedAt, UpdatedAt: p.CreatedAt, Subnet: sn.CIDR, ProjectID: p.ProjectID,
			PrivateNetworkID: p.ID, VpcID: p.VPCID, Region: p.Region,
		})
	}
	return privNetW{
		ID: p.ID, Name: p.Name, OrganizationID: s.creds.OrganizationID, ProjectID: p.ProjectID, Region: p.Region,
		Tags: slices.Clone(nonNil(p.Tags)), CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, Subnets: subnets,
		VpcID: p.VPCID, DHCPEnabled: true,
	}
}

// defaultVPC returns the project's default VPC of region, creating it on
// first use with the recorded name and tag.
func (s *Sim) defaultVPC(region, project string, now time.Time) *vpcNet {
	for _, v := range s.w.VPCs {
		if v.Region == region && v.ProjectID == project && v.IsDefault {
			return v
		}
	}
	v := &vpcNet{
		ID: s.newUUID(), Region: region, Name: "default", ProjectID: project, Tags: []string{"default"},
		IsDefault: true, CreatedAt: now, UpdatedAt: now,
	}
	v.ULA = s.newULA(v.ID)
	s.w.VPCs = append(s.w.VPCs, v)
	return v
}

func (s *Sim) findVPC(region, id string) *vpcNet {
	for _, v := range s.w.VPCs {
		if v.Region == region && v.ID == id {
			return v
		}
	}
	return nil
}

// findPrivNet looks id up in region only: the API is regional, so a network
// of another region is not found, as a terraform ID without its region is not.
func (s *Sim) findPrivNet(region, id string) *privNet {
	for _, p := range s.w.Networks {
		if p.Region == region && p.ID == id {
			return p
		}
	}
	return nil
}

// orderByName applies a VPC v2 order_by (created_at_asc, the SDK's default,
// created_at_desc, name_asc, name_desc) to items kept in creation order.
func orderByName[T any](r *http.Request, items []T, name func(T) string) error {
	switch o := r.URL.Query().Get("order_by"); o {
	case "", "created_at_asc":
	case "created_at_desc":
		slices.Reverse(items)
	case "name_asc", "name_desc":
		slices.SortStableFunc(items, func(a, b T) int { return strings.Compare(name(a), name(b)) })
		if o == "name_desc" {
			slices.Reverse(items)
		}
	default:
		return invalidArg("order_by", "constraint", "unknown order "+o)
	}
	return nil
}

// nameMatches is the name filter: names containing the string, compared
// without case (inferred; the SDK only says "containing").
func nameMatches(q, name string) bool {
	return q == "" || strings.Contains(strings.ToLower(name), strings.ToLower(q))
}

// anyTag is the tags filter: one or more of the asked tags (SDK doc).
func anyTag(have, asked []string) bool {
	if len(asked) == 0 {
		return true
	}
	return slices.ContainsFunc(asked, func(t string) bool { return slices.Contains(have, t) })
}

// boolFilter reports whether v passes an optional boolean query filter.
func boolFilter(q string, v bool) bool {
	return q == "" || (q == "true") == v
}
