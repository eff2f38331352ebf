package scaleway

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	baremetal "github.com/scaleway/scaleway-sdk-go/api/baremetal/v1"
	dedibox "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/inventory"
)

// Realistic limits, in real time (scaled by the session's timing): Dedibox
// and Elastic Metal deliveries take minutes, occasionally much longer.
const (
	deliveryPoll    = 15 * time.Second // the SDK's own wait interval
	deliveryTimeout = 2 * time.Hour    // the SDK's WaitForServer default
)

// Order is an existing server, or an order whose server is not delivered
// yet (a Dedibox service still delivering).
type Order struct {
	Server  *Server
	Service uint64 // the Dedibox order (service) ID, 0 if not known
}

// OfferID finds offer's ID in zone for provider p (Dedibox: a number, as a
// string), once per run.
func (s *Session) OfferID(ctx context.Context, p inventory.Provider, zone scw.Zone, offer string) (string, error) {
	key := fmt.Sprintf("%s/%s/%s", p, zone, strings.ToUpper(offer))
	if v, ok := s.offers.Load(key); ok {
		return v.(string), nil
	}
	var id string
	err := s.Read(ctx, func(ctx context.Context) error {
		if p == inventory.ElasticMetal {
			name := offer
			r, err := s.Metal.ListOffers(&baremetal.ListOffersRequest{Zone: zone, Name: &name}, scw.WithContext(ctx), scw.WithAllPages())
			for _, o := range listOrNil(r, err, func(r *baremetal.ListOffersResponse) []*baremetal.Offer { return r.Offers }) {
				if strings.EqualFold(o.Name, name) {
					id = o.ID
				}
			}
			return err
		}
		r, err := s.Dedibox.ListOffers(&dedibox.ListOffersRequest{Zone: zone}, scw.WithContext(ctx), scw.WithAllPages())
		for _, o := range listOrNil(r, err, func(r *dedibox.ListOffersResponse) []*dedibox.Offer { return r.Offers }) {
			if strings.EqualFold(o.Name, offer) && o.ServerInfo != nil {
				id = strconv.FormatUint(o.ID, 10)
			}
		}
		return err
	})
	if err != nil {
		return "", Wrap(err, "find offer %s in %s", offer, zone)
	}
	if id == "" {
		return "", fmt.Errorf("offer %s is not sold in %s", offer, zone)
	}
	s.offers.Store(key, id)
	return id, nil
}

// OrderDedibox sends one Dedibox order of offerID in datacenter dc (a
// Dedibox order carries no tags) and returns its service ID. The error is
// the SDK's, for the caller to tell a refusal from a lost answer.
func (s *Session) OrderDedibox(ctx context.Context, zone scw.Zone, offerID, dc string) (uint64, error) {
	oid, _ := strconv.ParseUint(offerID, 10, 64)
	dc = strings.ToUpper(dc)
	svc, err := s.Dedibox.CreateServer(&dedibox.CreateServerRequest{Zone: zone, OfferID: oid, ProjectID: s.ProjectID, DatacenterName: &dc}, scw.WithContext(ctx))
	if err != nil {
		return 0, err
	}
	return svc.ID, nil
}

// OrderMetal sends one Elastic Metal order of offerID, named and tagged
// from the start, without an inline install (ordering and installing stay
// separate, so an install can be observed, retried and skipped on its
// own). The error is the SDK's.
func (s *Session) OrderMetal(ctx context.Context, zone scw.Zone, offerID, name, description string, tags []string) (*Server, error) {
	srv, err := s.Metal.CreateServer(&baremetal.CreateServerRequest{
		Zone: zone, OfferID: offerID, ProjectID: &s.ProjectID, Name: name,
		Description: description, Tags: tags, OptionIDs: []string{},
	}, scw.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	return fromMetal(srv), nil
}

// DediboxOrder reads Dedibox order id: its server once delivered, the order
// alone while delivering, nil once terminated or gone.
func (s *Session) DediboxOrder(ctx context.Context, zone scw.Zone, id uint64) (*Order, error) {
	var svc *dedibox.Service
	err := s.Read(ctx, func(ctx context.Context) error {
		var err error
		svc, err = s.Dedibox.GetService(&dedibox.GetServiceRequest{Zone: zone, ServiceID: id}, scw.WithContext(ctx))
		return err
	})
	switch {
	case IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, Wrap(err, "read Dedibox order %d", id)
	case Terminated(svc):
		return nil, nil
	case svc.ResourceID == nil:
		return &Order{Service: id}, nil
	}
	srv, err := s.GetServer(ctx, inventory.Dedibox, zone, strconv.FormatUint(*svc.ResourceID, 10))
	if IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &Order{Server: srv, Service: id}, nil
}

// DediboxOrders lists the project's Dedibox orders in zone.
func (s *Session) DediboxOrders(ctx context.Context, zone scw.Zone) ([]*dedibox.Service, error) {
	var svcs []*dedibox.Service
	err := s.Read(ctx, func(ctx context.Context) error {
		r, err := s.Dedibox.ListServices(&dedibox.ListServicesRequest{Zone: zone, ProjectID: &s.ProjectID}, scw.WithContext(ctx), scw.WithAllPages())
		svcs = listOrNil(r, err, func(r *dedibox.ListServicesResponse) []*dedibox.Service { return r.Services })
		return err
	})
	return svcs, Wrap(err, "list Dedibox orders in %s", zone)
}

// Terminated reports whether a Dedibox order has ended (expired, in error,
// or terminated): it holds no server.
func Terminated(svc *dedibox.Service) bool {
	switch svc.ProvisioningStatus {
	case dedibox.ServiceProvisioningStatusExpiring, dedibox.ServiceProvisioningStatusExpired, dedibox.ServiceProvisioningStatusError:
		return true
	}
	return svc.TerminatedAt != nil
}

// OrderDelivered reports whether a Dedibox order has its server.
func OrderDelivered(svc *dedibox.Service) bool {
	return svc.ResourceID != nil && svc.ProvisioningStatus == dedibox.ServiceProvisioningStatusReady
}

// FollowOrder waits until Dedibox order service is delivered (name is the
// condition waited for) and returns its server.
func (s *Session) FollowOrder(ctx context.Context, progress Progress, name string, zone scw.Zone, service uint64) (*Server, error) {
	var serverID uint64
	err := s.Wait(ctx, progress, name, deliveryPoll, deliveryTimeout, func(ctx context.Context) (bool, string, error) {
		svc, err := s.Dedibox.GetService(&dedibox.GetServiceRequest{Zone: zone, ServiceID: service}, scw.WithContext(ctx))
		if err != nil {
			return false, "", Evidence(err)
		}
		switch svc.ProvisioningStatus {
		case dedibox.ServiceProvisioningStatusError, dedibox.ServiceProvisioningStatusExpired, dedibox.ServiceProvisioningStatusExpiring:
			return false, "", fmt.Errorf("order %d is %s", service, svc.ProvisioningStatus)
		}
		if OrderDelivered(svc) {
			serverID = *svc.ResourceID
			return true, "", nil
		}
		return false, string(svc.ProvisioningStatus), nil
	})
	if err != nil {
		return nil, err
	}
	return s.GetServer(ctx, inventory.Dedibox, zone, strconv.FormatUint(serverID, 10))
}
