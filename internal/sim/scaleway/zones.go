package scaleway

import (
	"net/http"
	"slices"
	"strconv"
)

// emZones are the zones of baremetal/v1 (SDK API.Zones()).
var emZones = []string{"fr-par-1", "fr-par-2", "nl-ams-1", "nl-ams-2", "pl-waw-2", "pl-waw-3"}

// vpcRegions are the regions whose VPC v2 API is modelled: those holding
// Elastic Metal zones. Private networks are regional.
var vpcRegions = []string{"fr-par", "nl-ams", "pl-waw"}

// dediboxZones are the zones of dedibox/v1 and the datacenters each one
// holds. Offers list the stock of every datacenter of the zone's region, and
// an order may name any datacenter of that region.
var dediboxZones = map[string][]string{
	"fr-par-1": {"DC2", "DC3"},
	"fr-par-2": {"DC5"},
	"nl-ams-1": {"AMS1"},
}

// dcOrder is the fixed order datacenters are listed and chosen in.
var dcOrder = []string{"DC2", "DC3", "DC5", "AMS1"}

// zoneOfDC returns the Dedibox zone a datacenter belongs to.
func zoneOfDC(dc string) string {
	for z, dcs := range dediboxZones {
		if slices.Contains(dcs, dc) {
			return z
		}
	}
	return ""
}

// regionDCs lists the datacenters of zone's region, in dcOrder.
func regionDCs(zone string) []string {
	var out []string
	for _, dc := range dcOrder {
		if regionOf(zoneOfDC(dc)) == regionOf(zone) {
			out = append(out, dc)
		}
	}
	return out
}

func regionOf(zone string) string {
	if len(zone) > 2 && zone[len(zone)-2] == '-' {
		return zone[:len(zone)-2]
	}
	return zone
}

func emZone(r *http.Request) (string, error) {
	z := r.PathValue("zone")
	if !slices.Contains(emZones, z) {
		return "", invalidArg("zone", "constraint", "unknown zone "+z+" for Elastic Metal")
	}
	return z, nil
}

func vpcRegion(r *http.Request) (string, error) {
	reg := r.PathValue("region")
	if !slices.Contains(vpcRegions, reg) {
		return "", invalidArg("region", "constraint", "unknown region "+reg+" for VPC")
	}
	return reg, nil
}

func dediboxZone(r *http.Request) (string, error) {
	z := r.PathValue("zone")
	if _, ok := dediboxZones[z]; !ok {
		return "", invalidArg("zone", "constraint", "unknown zone "+z+" for Dedibox")
	}
	return z, nil
}

func itoa[T ~int | ~int64 | ~uint32 | ~uint64](v T) string { return strconv.FormatInt(int64(v), 10) }

// nonNil keeps empty lists as [] on the wire, never null.
func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}
