package scaleway

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The public product catalogue (product-catalog/v2alpha1), which the
// Scaleway CLI's `baremetal offer list` reads beside the offers. Its shape
// follows scaleway-sdk-go v1.39.0's PublicCatalogProduct and the example
// bodies of Scaleway's API reference; the simulator lists the bare-metal
// products it sells: every Elastic Metal offer in every Elastic Metal zone
// (hourly) and every Dedibox offer in every Dedibox zone (monthly).

type productW struct {
	Sku             string        `json:"sku"`
	ServiceCategory string        `json:"service_category"`
	ProductCategory string        `json:"product_category"`
	Product         string        `json:"product"`
	Variant         string        `json:"variant"`
	Description     string        `json:"description"`
	Locality        localityW     `json:"locality"`
	Price           productPriceW `json:"price"`
	Properties      propertiesW   `json:"properties"`
	Environmental   *struct{}     `json:"environmental_impact_estimation"`
	UnitOfMeasure   unitW         `json:"unit_of_measure"`
	Status          string        `json:"status"`
	EndOfLifeAt     *time.Time    `json:"end_of_life_at"`
	EndOfGrowthAt   *time.Time    `json:"end_of_growth_at"`
	EndOfSaleAt     *time.Time    `json:"end_of_sale_at"`
	Badges          []string      `json:"badges"`

	apiID string // the offer ID, what api_ids filters on
	kind  string // the product type the product_types filter names
}

type localityW struct {
	Zone string `json:"zone,omitempty"`
}

type productPriceW struct {
	RetailPrice *moneyW `json:"retail_price"`
}

type unitW struct {
	Unit string `json:"unit"`
	Size uint64 `json:"size"`
}

type propertiesW struct {
	Hardware     hardwareW  `json:"hardware"`
	ElasticMetal *emPropW   `json:"elastic_metal,omitempty"`
	Dedibox      *dediPropW `json:"dedibox,omitempty"`
}

type emPropW struct {
	Range   string `json:"range"`
	OfferID string `json:"offer_id"`
}

type dediPropW struct {
	Range   string `json:"range"`
	OfferID int64  `json:"offer_id"`
}

type hardwareW struct {
	CPU     hwCPUW     `json:"cpu"`
	RAM     hwRAMW     `json:"ram"`
	Storage hwStorageW `json:"storage"`
	Network hwNetW     `json:"network"`
	GPU     *hwGPUW    `json:"gpu"`
}

type hwCPUW struct {
	Description string   `json:"description"`
	Arch        string   `json:"arch"`
	Type        string   `json:"type"`
	Physical    *hwPhysW `json:"physical,omitempty"`
	Threads     uint32   `json:"threads"`
	Shared      bool     `json:"shared"`
}

type hwPhysW struct {
	Sockets        uint32 `json:"sockets"`
	CoresPerSocket uint32 `json:"cores_per_socket"`
	ThreadsPerCore uint32 `json:"threads_per_core"`
	Frequency      uint64 `json:"frequency"`
	Benchmark      uint32 `json:"benchmark"`
}

type hwRAMW struct {
	Description string `json:"description"`
	Size        uint64 `json:"size"`
	Type        string `json:"type"`
}

type hwStorageW struct {
	Description string `json:"description"`
	Total       uint64 `json:"total"`
}

type hwNetW struct {
	Description        string `json:"description"`
	InternalBandwidth  uint64 `json:"internal_bandwidth"`
	PublicBandwidth    uint64 `json:"public_bandwidth"`
	MaxPublicBandwidth uint64 `json:"max_public_bandwidth"`
}

type hwGPUW struct {
	Description string `json:"description"`
	Count       uint32 `json:"count"`
	Type        string `json:"type"`
}

func emProduct(o emOffer, zone string) productW {
	bench, _ := strconv.ParseUint(o.Bench, 10, 32)
	arch := "x64"
	if strings.Contains(o.Tags, "riscv") {
		arch = "riscv"
	}
	p := productW{
		Sku: "/baremetal/" + strings.ToLower(o.Name) + "/run_" + zone, ServiceCategory: "Bare Metal", ProductCategory: "Elastic Metal",
		Product: "Elastic Metal " + o.Name, Variant: "Elastic Metal " + o.Name + " - Hourly - " + zone,
		Description: fmt.Sprintf("Elastic Metal %s - Hourly - %s (%s€ per hour)", o.Name, zone, euros(o.MilliEURPerHour, 3)),
		Locality:    localityW{Zone: zone}, Price: productPriceW{RetailPrice: eur(o.MilliEURPerHour)},
		UnitOfMeasure: unitW{Unit: "hour", Size: 1}, Status: "general_availability", Badges: []string{},
		apiID: o.ID, kind: "elastic_metal",
	}
	p.Properties.ElasticMetal = &emPropW{Range: o.Range, OfferID: o.ID}
	p.Properties.Hardware = hardwareW{
		CPU: hwCPUW{Description: fmt.Sprintf("%d x %s", o.Sockets, o.CPU), Arch: arch, Type: o.CPU, Threads: o.Threads * uint32(o.Sockets),
			Physical: &hwPhysW{Sockets: uint32(o.Sockets), CoresPerSocket: o.Cores, ThreadsPerCore: o.Threads / max(o.Cores, 1), Frequency: uint64(o.MHz) * 1_000_000, Benchmark: uint32(bench)}},
		RAM:     hwRAMW{Description: fmt.Sprintf("%d GB %s", o.MemGB, o.MemType), Size: o.MemGB * giga, Type: o.MemType},
		Storage: hwStorageW{Description: fmt.Sprintf("%d x %d GB %s", o.Disks, o.DiskBytes/giga, o.DiskType), Total: uint64(o.Disks) * o.DiskBytes},
		Network: hwNetW{Description: fmt.Sprintf("Public: %d Mb/s, Private: %d Mb/s", o.Bandwidth/1_000_000, o.PrivBandwidth/1_000_000),
			InternalBandwidth: o.PrivBandwidth, PublicBandwidth: o.Bandwidth, MaxPublicBandwidth: o.MaxBandwidth},
	}
	if o.GPUs > 0 {
		p.Properties.Hardware.GPU = &hwGPUW{Description: fmt.Sprintf("%d x %s", o.GPUs, o.GPU), Count: uint32(o.GPUs), Type: o.GPU}
	}
	return p
}

func dediProduct(o dOffer, zone string) productW {
	p := productW{
		Sku: "/dedibox/" + strings.ToLower(o.Name) + "/run_" + zone, ServiceCategory: "Bare Metal", ProductCategory: "Dedibox",
		Product: "Dedibox " + o.Name, Variant: "Dedibox " + o.Name + " - Monthly - " + zone,
		Description: fmt.Sprintf("Dedibox %s - Monthly - %s (%s€ per month)", o.Name, zone, euros(o.CentsPerMonth, 2)),
		Locality:    localityW{Zone: zone}, Price: productPriceW{RetailPrice: eur(o.CentsPerMonth * 10)},
		UnitOfMeasure: unitW{Unit: "month", Size: 1}, Status: "general_availability", Badges: []string{},
		apiID: strconv.FormatUint(o.ID, 10), kind: "dedibox",
	}
	p.Properties.Dedibox = &dediPropW{Range: o.Range, OfferID: int64(o.ID)}
	p.Properties.Hardware = hardwareW{
		CPU: hwCPUW{Description: "1 x " + o.CPU, Arch: "x64", Type: o.CPU, Threads: o.Threads,
			Physical: &hwPhysW{Sockets: 1, CoresPerSocket: o.Cores, ThreadsPerCore: o.Threads / max(o.Cores, 1), Frequency: uint64(o.MHz) * 1_000_000}},
		RAM:     hwRAMW{Description: fmt.Sprintf("%d GB DDR4 ECC", o.MemGB), Size: o.MemGB * giga, Type: "DDR4"},
		Storage: hwStorageW{Description: fmt.Sprintf("%d x %d GB NVMe", o.Disks, o.DiskBytes/giga), Total: uint64(o.Disks) * o.DiskBytes},
		Network: hwNetW{Description: "Public: 1000 Mb/s", PublicBandwidth: giga, MaxPublicBandwidth: giga, InternalBandwidth: giga},
	}
	return p
}

// euros renders an amount in 1/10^digits euro, trailing zeros dropped.
func euros(v int64, digits int) string {
	s := strconv.FormatFloat(float64(v)/float64(pow10(digits)), 'f', digits, 64)
	return strings.TrimRight(strings.TrimRight(s, "0"), ".")
}

func pow10(n int) int64 {
	out := int64(1)
	for ; n > 0; n-- {
		out *= 10
	}
	return out
}

// catalogue is every product, in a fixed order.
func catalogue() []productW {
	var out []productW
	for _, zone := range emZones {
		for _, o := range emOffers {
			out = append(out, emProduct(o, zone))
		}
	}
	for _, zone := range []string{"fr-par-1", "fr-par-2", "nl-ams-1"} {
		for _, o := range dOffers {
			out = append(out, dediProduct(o, zone))
		}
	}
	return out
}

// listProducts serves ListPublicCatalogProducts: product_types, status and
// api_ids filter (each repeatable); zone, region, datacenter and global pick
// a locality (a region holds its zones' products; nothing here is global
// or per datacenter); page and page_size as every list.
func (s *Sim) listProducts(r *http.Request, _ time.Time) (any, error) {
	q := r.URL.Query()
	for _, k := range []string{"product_types", "status"} {
		for _, v := range q[k] {
			if strings.HasPrefix(v, "unknown_") {
				return nil, invalidArg(k, "constraint", "unknown value "+v)
			}
		}
	}
	var all []productW
	for _, p := range catalogue() {
		switch {
		case len(q["product_types"]) > 0 && !slices.Contains(q["product_types"], p.kind),
			len(q["status"]) > 0 && !slices.Contains(q["status"], p.Status),
			len(q["api_ids"]) > 0 && !slices.Contains(q["api_ids"], p.apiID),
			q.Get("zone") != "" && q.Get("zone") != p.Locality.Zone,
			q.Get("region") != "" && q.Get("region") != regionOf(p.Locality.Zone),
			q.Get("datacenter") != "", q.Get("global") == "true":
			continue
		}
		all = append(all, p)
	}
	lo, hi, err := page(r, len(all))
	if err != nil {
		return nil, err
	}
	return map[string]any{"products": nonNil(all[lo:hi]), "total_count": len(all)}, nil
}
