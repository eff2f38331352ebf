package stage

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	baremetal "github.com/scaleway/scaleway-sdk-go/api/baremetal/v1"
	dedibox "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/scaleway"
)

// remoteServer is what tripod observes of a Scaleway server of either
// provider: the observed side, kept apart from the inventory's desired one.
type remoteServer struct {
	ID        string
	Provider  inventory.Provider
	Zone      scw.Zone
	Placement string // datacenter (Dedibox) or zone (Elastic Metal)
	Offer     string
	Status    string
	ProjectID string
	Tags      []string
	PublicIP  string
	Hostname  string
	UpdatedAt time.Time // Scaleway's updated_at: its last change of any kind
}

// hostTag names the host a server is for, beside the ownership tag.
func hostTag(host string) string { return "tripod-host=" + host }

// AdoptedTag marks a server tripod adopted rather than ordered, so that
// teardown tells the two apart from the server alone, without the
// inventory: an adopted server is only released on explicit request.
const AdoptedTag = "tripod-adopted=true"

// wantTags are the tags h's server carries once it is this cluster's.
func (e *Env) wantTags(h inventory.HostPlan) []string {
	tags := []string{e.ServerTag(), hostTag(h.Name), e.StateTag()}
	if h.AdoptServerID != "" {
		tags = append(tags, AdoptedTag)
	}
	return tags
}

const (
	clusterTagPrefix = "tripod-cluster="
	hostTagPrefix    = "tripod-host="
)

// tagValue returns the value of the first tag with prefix.
func tagValue(tags []string, prefix string) (string, bool) {
	for _, t := range tags {
		if v, ok := strings.CutPrefix(t, prefix); ok {
			return v, true
		}
	}
	return "", false
}

// ownedBy says why srv cannot be h's server in this cluster, or "".
func (e *Env) ownedBy(srv *remoteServer, h inventory.HostPlan) string {
	if c, ok := tagValue(srv.Tags, clusterTagPrefix); ok && c != e.Cluster().Name {
		return fmt.Sprintf("it carries %s%s: it belongs to another tripod cluster", clusterTagPrefix, c)
	}
	if o, ok := tagValue(srv.Tags, hostTagPrefix); ok && o != h.Name && slices.Contains(srv.Tags, e.ServerTag()) {
		return fmt.Sprintf("it carries %s%s: host %s of this cluster already uses it", hostTagPrefix, o, o)
	}
	return ""
}

// hasOurTags reports whether srv carries both the ownership and h's host tag.
func (e *Env) hasOurTags(srv *remoteServer, h inventory.HostPlan) bool {
	return slices.Contains(srv.Tags, e.ServerTag()) && slices.Contains(srv.Tags, hostTag(h.Name))
}

// hostZone is the API zone h's server is managed in.
func hostZone(h inventory.HostPlan) (scw.Zone, error) {
	if h.Provider == inventory.ElasticMetal {
		return scaleway.MetalZone(h.Placement)
	}
	return scaleway.DediboxZone(h.Placement)
}

// delivered reports whether the server can be used; an error for a state
// waiting cannot fix.
func (r *remoteServer) delivered() (bool, error) {
	switch r.Status {
	case "delivering", "ordered", "unknown", "":
		return false, nil
	case "out_of_stock", "locked", "deleting":
		return false, fmt.Errorf("server %s is %s", r.ID, r.Status)
	}
	return true, nil
}

func fromDedibox(s *dedibox.Server) *remoteServer {
	r := &remoteServer{
		ID: strconv.FormatUint(s.ID, 10), Provider: inventory.Dedibox, Zone: s.Zone, Status: string(s.Status),
		ProjectID: s.ProjectID, Tags: s.Tags, PublicIP: scaleway.DediboxPublicIPv4(s), Hostname: s.Hostname,
	}
	if s.Location != nil {
		r.Placement = s.Location.DatacenterName
	}
	if s.UpdatedAt != nil {
		r.UpdatedAt = *s.UpdatedAt
	}
	if s.Offer != nil {
		r.Offer = s.Offer.Name
	}
	return r
}

func fromMetal(s *baremetal.Server) *remoteServer {
	r := &remoteServer{
		ID: s.ID, Provider: inventory.ElasticMetal, Zone: s.Zone, Placement: string(s.Zone), Offer: s.OfferName,
		Status: string(s.Status), ProjectID: s.ProjectID, Tags: s.Tags, PublicIP: scaleway.MetalPublicIPv4(s), Hostname: s.Name,
	}
	if s.UpdatedAt != nil {
		r.UpdatedAt = *s.UpdatedAt
	}
	if s.Install != nil && s.Install.Hostname != "" {
		r.Hostname = s.Install.Hostname
	}
	return r
}

// getServer reads server id of h's provider in zone.
func (e *Env) getServer(ctx context.Context, c *scaleway.Client, p inventory.Provider, zone scw.Zone, id string) (*remoteServer, error) {
	var out *remoteServer
	err := e.scwRead(ctx, func(ctx context.Context) error {
		if p == inventory.ElasticMetal {
			s, err := c.Metal.GetServer(&baremetal.GetServerRequest{Zone: zone, ServerID: id}, scw.WithContext(ctx))
			if err == nil {
				out = fromMetal(s)
			}
			return err
		}
		n, err := strconv.ParseUint(id, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a Dedibox server ID (a number)", id)
		}
		s, err := c.Dedibox.GetServer(&dedibox.GetServerRequest{Zone: zone, ServerID: n}, scw.WithContext(ctx))
		if err == nil {
			out = fromDedibox(s)
		}
		return err
	})
	if out != nil && out.Zone == "" {
		out.Zone = zone
	}
	return out, scaleway.Wrap(err, "read server %s in %s", id, zone)
}

// misplaced says how srv differs from what the inventory says of h, or "".
func misplaced(srv *remoteServer, h inventory.HostPlan) string {
	switch {
	case srv.Placement != "" && !strings.EqualFold(srv.Placement, h.Placement):
		return fmt.Sprintf("it is in %s, not %s as the inventory says", srv.Placement, h.Placement)
	case srv.Offer != "" && !strings.EqualFold(srv.Offer, h.Offer.Name):
		return fmt.Sprintf("it is a %s, not a %s as the inventory says", srv.Offer, h.Offer.Name)
	}
	return ""
}

// hostFact is what the stages after servers need to know of srv.
func hostFact(srv *remoteServer, h inventory.HostPlan) HostFact {
	return HostFact{ServerID: srv.ID, Provider: h.Provider, Zone: string(srv.Zone), PublicIP: srv.PublicIP, Adopted: h.AdoptServerID != ""}
}
