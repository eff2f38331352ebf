package stage

import (
	"context"
	"slices"
	"sort"

	baremetal "github.com/scaleway/scaleway-sdk-go/api/baremetal/v1"
	dedibox "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/scaleway"
)

// offerCap is an offer's capacity as the API lists it.
type offerCap struct {
	name    string
	threads int
	memory  uint64 // bytes
	disks   int
}

// maxAlternatives keeps a refusal readable.
const maxAlternatives = 5

// largeEnough lists, smallest first, up to maxAlternatives offers with at
// least want's threads, memory and disks: the VMs and OSDs planned on want
// still fit. Memory
// is compared within 10%, as the API (GB) and the capacity table (GiB)
// round differently.
func largeEnough(cands []offerCap, want inventory.Offer) []string {
	var fit []offerCap
	for _, c := range cands {
		if c.threads >= want.Threads && float64(c.memory) >= 0.9*float64(want.Memory) && c.disks >= len(want.Disks) {
			fit = append(fit, c)
		}
	}
	sort.Slice(fit, func(i, j int) bool {
		a, b := fit[i], fit[j]
		if a.memory != b.memory {
			return a.memory < b.memory
		}
		if a.threads != b.threads {
			return a.threads < b.threads
		}
		return a.name < b.name
	})
	var out []string
	for _, c := range fit[:min(len(fit), maxAlternatives)] {
		out = append(out, c.name)
	}
	return out
}

// dediboxAlternatives are the server offers other than except in stock in
// dc and large enough for want.
func dediboxAlternatives(offers []*dedibox.Offer, dc, except string, want inventory.Offer) []string {
	var cands []offerCap
	for _, o := range offers {
		if o.ServerInfo == nil || o.Name == except || scaleway.DediboxStock(o, dc) == dedibox.OfferServerInfoStockEmpty {
			continue
		}
		c := offerCap{name: o.Name, disks: len(o.ServerInfo.Disks)}
		for _, cpu := range o.ServerInfo.CPUs {
			c.threads += int(cpu.ThreadCount)
		}
		for _, m := range o.ServerInfo.Memories {
			c.memory += uint64(m.Capacity)
		}
		cands = append(cands, c)
	}
	return largeEnough(cands, want)
}

// metalAlternatives are the offers other than except in stock in the zone,
// able to run Proxmox VE, and large enough for want.
func (k *catalog) metalAlternatives(ctx context.Context, zone scw.Zone, offers []*baremetal.Offer, except string, want inventory.Offer) ([]string, error) {
	pve, err := k.c.MetalProxmoxIDs(ctx, zone)
	if err != nil {
		return nil, err
	}
	var cands []offerCap
	for _, o := range offers {
		if o.Name == except || !o.Enable || o.Stock == baremetal.OfferStockEmpty ||
			!slices.ContainsFunc(pve, func(id string) bool { return !slices.Contains(o.IncompatibleOsIDs, id) }) {
			continue
		}
		c := offerCap{name: o.Name, disks: len(o.Disks)}
		for _, cpu := range o.CPUs {
			c.threads += int(cpu.ThreadCount)
		}
		for _, m := range o.Memories {
			c.memory += uint64(m.Capacity)
		}
		cands = append(cands, c)
	}
	return largeEnough(cands, want), nil
}
