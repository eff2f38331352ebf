package stage

import (
	"context"
	"fmt"
	"strings"

	baremetal "github.com/scaleway/scaleway-sdk-go/api/baremetal/v1"
	dedibox "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/scaleway"
)

// catalog reads Scaleway's offers and OS images for preflight, each zone's
// list once.
type catalog struct {
	env     *Env
	c       *scaleway.Session
	st      *run.Step // where warnings go
	dOffers map[scw.Zone][]*dedibox.Offer
	mOffers map[scw.Zone][]*baremetal.Offer
	adopted int
}

// checkOffer reports g's problems: an offer not sold there, out of stock
// where hosts still need ordering (with where it is in stock and what else
// is), or without a Proxmox VE image. An error is a failed call.
func (k *catalog) checkOffer(ctx context.Context, g *offerGroup) ([]error, error) {
	if g.provider == inventory.ElasticMetal {
		return k.checkMetal(ctx, g)
	}
	return k.checkDedibox(ctx, g)
}

// checkDedibox is checkOffer for Dedibox, whose stock is per datacenter.
func (k *catalog) checkDedibox(ctx context.Context, g *offerGroup) ([]error, error) {
	dc := strings.ToUpper(g.placement)
	zone, err := scaleway.DediboxZone(dc)
	if err != nil {
		return []error{fmt.Errorf("%s: %w", hostList(g.hosts), err)}, nil
	}
	offers, err := k.dediboxOffers(ctx, zone)
	if err != nil {
		return nil, err
	}
	var o *dedibox.Offer
	for _, x := range offers {
		if x.ServerInfo != nil && strings.EqualFold(x.Name, g.offer) {
			o = x
		}
	}
	if o == nil {
		return []error{fmt.Errorf("%s: offer %s is not sold in Dedibox %s (zone %s); offers in stock there at least as large: %s",
			hostList(g.hosts), g.offer, dc, zone, orNone(dediboxAlternatives(offers, dc, "", g.want)))}, nil
	}
	var out []error
	if p, err := k.dediboxStockProblem(ctx, g, o, offers, dc); err != nil {
		return nil, err
	} else if p != nil {
		out = append(out, p)
	}
	os, err := k.c.DediboxProxmox(ctx, zone, o)
	if err != nil {
		return nil, err
	}
	if os == nil {
		out = append(out, fmt.Errorf("%s: Proxmox VE cannot be installed on offer %s (Dedibox %s lists no Proxmox VE image for it)", hostList(g.hosts), o.Name, zone))
	}
	return out, nil
}

// dediboxStockProblem is the refusal when o is out of stock in dc for hosts
// still to order, naming where it is in stock and what else would do.
func (k *catalog) dediboxStockProblem(ctx context.Context, g *offerGroup, o *dedibox.Offer, offers []*dedibox.Offer, dc string) (problem, err error) {
	switch scaleway.DediboxStock(o, dc) {
	case dedibox.OfferServerInfoStockLow:
		if len(g.toOrder) > 1 {
			k.st.Warn("offer %s is low on stock in %s and %d are to be ordered there: some orders may fail", o.Name, dc, len(g.toOrder))
		}
		return nil, nil
	case dedibox.OfferServerInfoStockEmpty:
	default:
		return nil, nil
	}
	need, err := k.stillToOrder(ctx, g)
	if err != nil || len(need) == 0 {
		return nil, err
	}
	return fmt.Errorf("%s: offer %s is out of stock in %s (%d needed there); in stock in: %s; offers in stock in %s at least as large: %s",
		hostList(need), o.Name, dc, len(need), orNone(scaleway.DediboxDCsWith(o, dc)), dc, orNone(dediboxAlternatives(offers, dc, o.Name, g.want))), nil
}

// dediboxOffers lists zone's Dedibox offers, once per preflight.
func (k *catalog) dediboxOffers(ctx context.Context, zone scw.Zone) ([]*dedibox.Offer, error) {
	if o, ok := k.dOffers[zone]; ok {
		return o, nil
	}
	out, err := k.c.DediboxOffers(ctx, zone)
	if err != nil {
		return nil, err
	}
	if k.dOffers == nil {
		k.dOffers = map[scw.Zone][]*dedibox.Offer{}
	}
	k.dOffers[zone] = out
	return out, nil
}

// stillToOrder narrows g.toOrder to hosts with no tagged server either (a
// server found by its tags needs no stock, even with the journal lost).
func (k *catalog) stillToOrder(ctx context.Context, g *offerGroup) ([]string, error) {
	var out []string
	for _, name := range g.toOrder {
		h, _ := k.env.Layout().Host(name)
		srv, err := k.env.owner().taggedServer(ctx, k.c, h)
		if err != nil {
			return nil, err
		}
		if srv == nil {
			out = append(out, name)
		}
	}
	return out, nil
}
