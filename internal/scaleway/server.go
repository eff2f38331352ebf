package scaleway

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
)

// Server is what tripod observes of a Scaleway server of either provider:
// the observed side, kept apart from the inventory's desired one.
type Server struct {
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

// HostZone is the API zone a server of provider p at placement (a Dedibox
// datacenter or an Elastic Metal zone) is managed in.
func HostZone(p inventory.Provider, placement string) (scw.Zone, error) {
	if p == inventory.ElasticMetal {
		return MetalZone(placement)
	}
	return DediboxZone(placement)
}

// Delivered reports whether the server can be used; an error for a state
// waiting cannot fix.
func (r *Server) Delivered() (bool, error) {
	switch r.Status {
	case "delivering", "ordered", "unknown", "":
		return false, nil
	case "out_of_stock", "locked", "deleting":
		return false, fmt.Errorf("server %s is %s", r.ID, r.Status)
	}
	return true, nil
}

// Describe names a server for messages.
func (r *Server) Describe(host string) string {
	return fmt.Sprintf("server %s of %s (%s in %s)", r.ID, host, r.Offer, r.Placement)
}

func fromDedibox(s *dedibox.Server) *Server {
	r := &Server{
		ID: strconv.FormatUint(s.ID, 10), Provider: inventory.Dedibox, Zone: s.Zone, Status: string(s.Status),
		ProjectID: s.ProjectID, Tags: s.Tags, PublicIP: DediboxPublicIPv4(s), Hostname: s.Hostname,
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

func fromMetal(s *baremetal.Server) *Server {
	r := &Server{
		ID: s.ID, Provider: inventory.ElasticMetal, Zone: s.Zone, Placement: string(s.Zone), Offer: s.OfferName,
		Status: string(s.Status), ProjectID: s.ProjectID, Tags: s.Tags, PublicIP: MetalPublicIPv4(s), Hostname: s.Name,
	}
	if s.UpdatedAt != nil {
		r.UpdatedAt = *s.UpdatedAt
	}
	if s.Install != nil && s.Install.Hostname != "" {
		r.Hostname = s.Install.Hostname
	}
	return r
}

// GetServer reads server id of provider p in zone.
func (s *Session) GetServer(ctx context.Context, p inventory.Provider, zone scw.Zone, id string) (*Server, error) {
	var out *Server
	err := s.Read(ctx, func(ctx context.Context) error {
		if p == inventory.ElasticMetal {
			srv, err := s.Metal.GetServer(&baremetal.GetServerRequest{Zone: zone, ServerID: id}, scw.WithContext(ctx))
			if err == nil {
				out = fromMetal(srv)
			}
			return err
		}
		n, err := strconv.ParseUint(id, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a Dedibox server ID (a number)", id)
		}
		srv, err := s.Dedibox.GetServer(&dedibox.GetServerRequest{Zone: zone, ServerID: n}, scw.WithContext(ctx))
		if err == nil {
			out = fromDedibox(srv)
		}
		return err
	})
	if out != nil && out.Zone == "" {
		out.Zone = zone
	}
	return out, Wrap(err, "read server %s in %s", id, zone)
}

// TaggedServer finds a server of the project in zone carrying every one of
// tags (an Elastic Metal one not being deleted; a Dedibox one of offer,
// whose list has no tags, by reading each), or nil.
func (s *Session) TaggedServer(ctx context.Context, p inventory.Provider, zone scw.Zone, offer string, tags []string) (*Server, error) {
	if p == inventory.ElasticMetal {
		var out *Server
		err := s.Read(ctx, func(ctx context.Context) error {
			r, err := s.Metal.ListServers(&baremetal.ListServersRequest{Zone: zone, Tags: tags, ProjectID: &s.ProjectID}, scw.WithContext(ctx), scw.WithAllPages())
			for _, srv := range listOrNil(r, err, func(r *baremetal.ListServersResponse) []*baremetal.Server { return r.Servers }) {
				if srv.Status != baremetal.ServerStatusDeleting {
					out = fromMetal(srv)
				}
			}
			return err
		})
		return out, Wrap(err, "list Elastic Metal servers tagged %s in %s", tags[len(tags)-1], zone)
	}
	sums, err := s.dediboxServers(ctx, zone)
	if err != nil {
		return nil, err
	}
	for _, sum := range sums {
		if !strings.EqualFold(sum.OfferName, offer) {
			continue
		}
		srv, err := s.GetServer(ctx, p, zone, strconv.FormatUint(sum.ID, 10))
		if IsNotFound(err) {
			continue // terminated since it was listed (another host's release-servers, in the same down)
		}
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(tags, func(t string) bool { return !slices.Contains(srv.Tags, t) }) {
			return srv, nil
		}
	}
	return nil, nil
}

// ServersTagged lists the servers of provider p in zone that may carry tag:
// Elastic Metal filtered by the API; Dedibox, whose list has no tags, by
// reading each server of one of offers (upper case). A Dedibox server
// terminated since it was listed is left out; the caller checks the tag.
func (s *Session) ServersTagged(ctx context.Context, p inventory.Provider, zone scw.Zone, tag string, offers map[string]bool) ([]*Server, error) {
	var out []*Server
	if p == inventory.ElasticMetal {
		err := s.Read(ctx, func(ctx context.Context) error {
			out = nil
			r, err := s.Metal.ListServers(&baremetal.ListServersRequest{Zone: zone, Tags: []string{tag}, ProjectID: &s.ProjectID}, scw.WithContext(ctx), scw.WithAllPages())
			for _, srv := range listOrNil(r, err, func(r *baremetal.ListServersResponse) []*baremetal.Server { return r.Servers }) {
				out = append(out, fromMetal(srv))
			}
			return err
		})
		return out, Wrap(err, "list Elastic Metal servers tagged %s in %s", tag, zone)
	}
	sums, err := s.dediboxServers(ctx, zone)
	if err != nil {
		return nil, err
	}
	for _, sum := range sums {
		if !offers[strings.ToUpper(sum.OfferName)] {
			continue
		}
		srv, err := s.GetServer(ctx, p, zone, strconv.FormatUint(sum.ID, 10))
		if IsNotFound(err) {
			continue // terminated since it was listed
		}
		if err != nil {
			return nil, err
		}
		out = append(out, srv)
	}
	return out, nil
}

func (s *Session) dediboxServers(ctx context.Context, zone scw.Zone) ([]*dedibox.ServerSummary, error) {
	var sums []*dedibox.ServerSummary
	err := s.Read(ctx, func(ctx context.Context) error {
		r, err := s.Dedibox.ListServers(&dedibox.ListServersRequest{Zone: zone, ProjectID: &s.ProjectID}, scw.WithContext(ctx), scw.WithAllPages())
		sums = listOrNil(r, err, func(r *dedibox.ListServersResponse) []*dedibox.ServerSummary { return r.Servers })
		return err
	})
	return sums, Wrap(err, "list Dedibox servers in %s", zone)
}

// ProbeProject reads one page of one server of provider p in zone: the
// offers and OS lists are public, so this is what shows whether the
// credentials have rights in the project. The error is the SDK's.
func (s *Session) ProbeProject(ctx context.Context, p inventory.Provider, zone scw.Zone) error {
	one := uint32(1)
	return s.Read(ctx, func(ctx context.Context) error {
		if p == inventory.ElasticMetal {
			_, err := s.Metal.ListServers(&baremetal.ListServersRequest{Zone: zone, ProjectID: &s.ProjectID, PageSize: &one}, scw.WithContext(ctx))
			return err
		}
		_, err := s.Dedibox.ListServers(&dedibox.ListServersRequest{Zone: zone, ProjectID: &s.ProjectID, PageSize: &one}, scw.WithContext(ctx))
		return err
	})
}

// SetTags replaces srv's tags: a replacement, safe to repeat, so a 5xx
// (which the transport does not retry on POST and PATCH) is retried here.
func (s *Session) SetTags(ctx context.Context, srv *Server, tags []string) error {
	return Evidence(s.Read(ctx, func(ctx context.Context) error {
		if srv.Provider == inventory.ElasticMetal {
			_, err := s.Metal.UpdateServer(&baremetal.UpdateServerRequest{Zone: srv.Zone, ServerID: srv.ID, Tags: &tags}, scw.WithContext(ctx))
			return err
		}
		id, _ := strconv.ParseUint(srv.ID, 10, 64)
		_, err := s.Dedibox.UpdateServerTags(&dedibox.UpdateServerTagsRequest{Zone: srv.Zone, ServerID: id, Tags: tags}, scw.WithContext(ctx))
		return err
	}))
}

// Terminate releases srv and its disks: sent once, never undone.
func (s *Session) Terminate(ctx context.Context, srv *Server) error {
	if srv.Provider == inventory.ElasticMetal {
		_, err := s.Metal.DeleteServer(&baremetal.DeleteServerRequest{Zone: srv.Zone, ServerID: srv.ID}, scw.WithContext(ctx))
		return Wrap(err, "terminate Elastic Metal server %s", srv.ID)
	}
	id, err := strconv.ParseUint(srv.ID, 10, 64)
	if err != nil {
		return err
	}
	err = s.Dedibox.DeleteServer(&dedibox.DeleteServerRequest{Zone: srv.Zone, ServerID: id}, scw.WithContext(ctx))
	return Wrap(err, "terminate Dedibox server %s", srv.ID)
}

// WaitDelivered waits until srv is delivered (ordered/delivering -> ready)
// and returns it as last read; name is the condition waited for.
func (s *Session) WaitDelivered(ctx context.Context, progress Progress, name string, srv *Server) (*Server, error) {
	if ok, err := srv.Delivered(); ok || err != nil {
		return srv, err
	}
	err := s.Wait(ctx, progress, name, deliveryPoll, deliveryTimeout, func(ctx context.Context) (bool, string, error) {
		cur, err := s.GetServer(ctx, srv.Provider, srv.Zone, srv.ID)
		if err != nil {
			return false, "", err
		}
		srv = cur
		ok, err := cur.Delivered()
		return ok, cur.Status, err
	})
	return srv, err
}
