package stage

import (
	"context"
	"fmt"
	"sort"

	baremetal "github.com/scaleway/scaleway-sdk-go/api/baremetal/v1"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/scaleway"
)

// checkMetal is checkOffer for Elastic Metal, whose stock is per zone.
func (k *catalog) checkMetal(ctx context.Context, g *offerGroup) ([]error, error) {
	zone, err := scaleway.MetalZone(g.placement)
	if err != nil {
		return []error{fmt.Errorf("%s: %w", hostList(g.hosts), err)}, nil
	}
	offers, err := k.metalOffers(ctx, zone)
	if err != nil {
		return nil, err
	}
	o := scaleway.MetalOffer(offers, g.offer)
	if o == nil {
		alt, err := k.metalAlternatives(ctx, zone, offers, "", g.want)
		if err != nil {
			return nil, err
		}
		return []error{fmt.Errorf("%s: offer %s is not sold by Elastic Metal in %s; offers in stock there at least as large: %s",
			hostList(g.hosts), g.offer, zone, orNone(alt))}, nil
	}
	var out []error
	if p, err := k.metalStockProblem(ctx, g, o, offers, zone); err != nil {
		return nil, err
	} else if p != nil {
		out = append(out, p)
	}
	os, err := k.c.MetalProxmox(ctx, zone, o)
	if err != nil {
		return nil, err
	}
	if os == nil {
		out = append(out, fmt.Errorf("%s: Proxmox VE cannot be installed on offer %s (Elastic Metal %s lists no Proxmox VE image compatible with it)", hostList(g.hosts), o.Name, zone))
	}
	return out, nil
}

// metalStockProblem is the refusal when o is out of stock in zone for hosts
// still to order, naming where it is in stock and what else would do.
func (k *catalog) metalStockProblem(ctx context.Context, g *offerGroup, o *baremetal.Offer, offers []*baremetal.Offer, zone scw.Zone) (problem, err error) {
	switch o.Stock {
	case baremetal.OfferStockLow:
		if len(g.toOrder) > 1 {
			k.st.Warn("offer %s is low on stock in %s and %d are to be ordered there: some orders may fail", o.Name, zone, len(g.toOrder))
		}
		return nil, nil
	case baremetal.OfferStockEmpty:
	default:
		return nil, nil
	}
	need, err := k.stillToOrder(ctx, g)
	if err != nil || len(need) == 0 {
		return nil, err
	}
	zones, err := k.metalZonesWith(ctx, o.Name, zone)
	if err != nil {
		return nil, err
	}
	alt, err := k.metalAlternatives(ctx, zone, offers, o.Name, g.want)
	if err != nil {
		return nil, err
	}
	return fmt.Errorf("%s: offer %s is out of stock in %s (%d needed there); in stock in: %s; offers in stock in %s at least as large: %s",
		hostList(need), o.Name, zone, len(need), orNone(zones), zone, orNone(alt)), nil
}

// metalZonesWith lists the other Elastic Metal zones with offer in stock.
func (k *catalog) metalZonesWith(ctx context.Context, offer string, except scw.Zone) ([]string, error) {
	var out []string
	for _, z := range k.c.Metal.Zones() {
		if z == except {
			continue
		}
		offers, err := k.metalOffers(ctx, z)
		if err != nil {
			return nil, err
		}
		if o := scaleway.MetalOffer(offers, offer); o != nil && o.Stock != baremetal.OfferStockEmpty {
			out = append(out, string(z))
		}
	}
	sort.Strings(out)
	return out, nil
}

// metalOffers lists zone's Elastic Metal offers, once per preflight.
func (k *catalog) metalOffers(ctx context.Context, zone scw.Zone) ([]*baremetal.Offer, error) {
	if o, ok := k.mOffers[zone]; ok {
		return o, nil
	}
	out, err := k.c.MetalOffers(ctx, zone)
	if err != nil {
		return nil, err
	}
	if k.mOffers == nil {
		k.mOffers = map[scw.Zone][]*baremetal.Offer{}
	}
	k.mOffers[zone] = out
	return out, nil
}
