package scaleway

import (
	"context"
	"strings"

	baremetal "github.com/scaleway/scaleway-sdk-go/api/baremetal/v1"
	dedibox "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"
	"github.com/scaleway/scaleway-sdk-go/scw"
)

// DediboxOffers lists the Dedibox offers of zone.
func (s *Session) DediboxOffers(ctx context.Context, zone scw.Zone) ([]*dedibox.Offer, error) {
	var out []*dedibox.Offer
	err := s.Read(ctx, func(ctx context.Context) error {
		r, err := s.Dedibox.ListOffers(&dedibox.ListOffersRequest{Zone: zone}, scw.WithContext(ctx), scw.WithAllPages())
		out = listOrNil(r, err, func(r *dedibox.ListOffersResponse) []*dedibox.Offer { return r.Offers })
		return err
	})
	return out, Wrap(err, "list Dedibox offers in %s", zone)
}

// MetalOffers lists the Elastic Metal offers of zone.
func (s *Session) MetalOffers(ctx context.Context, zone scw.Zone) ([]*baremetal.Offer, error) {
	var out []*baremetal.Offer
	err := s.Read(ctx, func(ctx context.Context) error {
		r, err := s.Metal.ListOffers(&baremetal.ListOffersRequest{Zone: zone}, scw.WithContext(ctx), scw.WithAllPages())
		out = listOrNil(r, err, func(r *baremetal.ListOffersResponse) []*baremetal.Offer { return r.Offers })
		return err
	})
	return out, Wrap(err, "list Elastic Metal offers in %s", zone)
}

// DediboxProxmox is the newest Proxmox VE image Dedibox lists for o in
// zone, or nil.
func (s *Session) DediboxProxmox(ctx context.Context, zone scw.Zone, o *dedibox.Offer) (*dedibox.OS, error) {
	var os *dedibox.OS
	err := s.Read(ctx, func(ctx context.Context) error {
		r, err := s.Dedibox.ListOS(&dedibox.ListOSRequest{Zone: zone, OfferID: &o.ID}, scw.WithContext(ctx), scw.WithAllPages())
		os = NewestProxmoxDedibox(listOrNil(r, err, func(r *dedibox.ListOSResponse) []*dedibox.OS { return r.Os }))
		return err
	})
	return os, Wrap(err, "list the OS images of %s in %s", o.Name, zone)
}

// MetalProxmox is the newest Proxmox VE image Elastic Metal lists for o in
// zone and o does not list as incompatible, or nil.
func (s *Session) MetalProxmox(ctx context.Context, zone scw.Zone, o *baremetal.Offer) (*baremetal.OS, error) {
	var os *baremetal.OS
	err := s.Read(ctx, func(ctx context.Context) error {
		r, err := s.Metal.ListOS(&baremetal.ListOSRequest{Zone: zone, OfferID: &o.ID}, scw.WithContext(ctx), scw.WithAllPages())
		os = NewestProxmoxMetal(listOrNil(r, err, func(r *baremetal.ListOSResponse) []*baremetal.OS { return r.Os }), o.IncompatibleOsIDs)
		return err
	})
	return os, Wrap(err, "list the OS images of %s in %s", o.Name, zone)
}

// MetalProxmoxIDs lists zone's Elastic Metal Proxmox VE image IDs.
func (s *Session) MetalProxmoxIDs(ctx context.Context, zone scw.Zone) ([]string, error) {
	var out []string
	err := s.Read(ctx, func(ctx context.Context) error {
		out = nil
		r, err := s.Metal.ListOS(&baremetal.ListOSRequest{Zone: zone}, scw.WithContext(ctx), scw.WithAllPages())
		for _, os := range listOrNil(r, err, func(r *baremetal.ListOSResponse) []*baremetal.OS { return r.Os }) {
			if IsProxmoxVE(os.Name, os.Version) {
				out = append(out, os.ID)
			}
		}
		return err
	})
	return out, Wrap(err, "list the OS images of %s", zone)
}

// DediboxStock is o's stock in datacenter dc: per datacenter where the
// offer lists them (empty where it is not sold), else its overall stock.
func DediboxStock(o *dedibox.Offer, dc string) dedibox.OfferServerInfoStock {
	if s, ok := o.ServerInfo.StockByDatacenter[dc]; ok {
		return s
	}
	if len(o.ServerInfo.StockByDatacenter) > 0 {
		return dedibox.OfferServerInfoStockEmpty // not sold in that datacenter
	}
	return o.ServerInfo.Stock
}

// DediboxDCsWith lists the datacenters other than dc with o in stock.
func DediboxDCsWith(o *dedibox.Offer, dc string) []string {
	var out []string
	for d, s := range o.ServerInfo.StockByDatacenter {
		if d != dc && s != dedibox.OfferServerInfoStockEmpty {
			out = append(out, d)
		}
	}
	return out
}

// MetalOffer is the offer of offers named name (any case), or nil.
func MetalOffer(offers []*baremetal.Offer, name string) *baremetal.Offer {
	for _, o := range offers {
		if strings.EqualFold(o.Name, name) {
			return o
		}
	}
	return nil
}
