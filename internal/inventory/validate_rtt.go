package inventory

import (
	"fmt"
	"time"
)

// CorosyncRTTLimit is the round trip between hosts beyond which corosync
// falls apart (token timeouts, retransmits, lost quorum); it wants under
// 5 ms. The pvecluster stage refuses a measured round trip above it; the
// inventory refuses AZs whose regions are known to be further apart.
const CorosyncRTTLimit = 10 * time.Millisecond

// regionRTT is the typical round trip between Scaleway's regions, known
// before any server exists (public looking-glass figures; a measurement
// varies by a millisecond or two). Within a region it is about 1 ms.
var regionRTT = map[[2]string]time.Duration{
	{"fr-par", "nl-ams"}: 9 * time.Millisecond,
	{"fr-par", "pl-waw"}: 25 * time.Millisecond,
	{"nl-ams", "pl-waw"}: 20 * time.Millisecond,
}

// typicalRTT is the known round trip between regions a and b, and whether
// one is known.
func typicalRTT(a, b string) (time.Duration, bool) {
	if a == b {
		return time.Millisecond, true
	}
	if d, ok := regionRTT[[2]string{a, b}]; ok {
		return d, true
	}
	d, ok := regionRTT[[2]string{b, a}]
	return d, ok
}

// azRegion is the region of az's placement and the field it comes from,
// or "" when tripod does not know the placement (reported elsewhere).
func azRegion(az AZ) (region, field, place string) {
	if r, ok := dediboxDatacenters[az.Datacenter]; ok {
		return r, "datacenter", az.Datacenter
	}
	if r, ok := elasticMetalZones[az.Zone]; ok {
		return r, "zone", az.Zone
	}
	return "", "", ""
}

// checkKnownRTT refuses a pair of AZs whose regions are known to be further
// apart than corosync bears, before anything is ordered: the pvecluster
// stage would only find it once the servers are paid for and installed.
func checkKnownRTT(f *findings, c *Cluster) {
	for j := range c.AZs {
		rj, field, place := azRegion(c.AZs[j])
		for i := 0; i < j && rj != ""; i++ {
			ri, _, other := azRegion(c.AZs[i])
			d, ok := typicalRTT(ri, rj)
			if ri == "" || !ok || d <= CorosyncRTTLimit {
				continue
			}
			f.errorf(fmt.Sprintf("azs[%d].%s", j, field), "%s (%s) is about %d ms from %s (%s) of azs[%d]: corosync and etcd fail beyond %d ms between AZs; place the three AZs in one region (or Paris and Amsterdam, about 9 ms apart)",
				place, rj, d.Milliseconds(), other, ri, i, CorosyncRTTLimit.Milliseconds())
			break
		}
	}
}
