package stage

import "testing"

// TestHardenElasticMetal: the simulator gives Elastic Metal hosts addresses
// in 203.0.113.0/24, the operator's own range, so PVE's local_network
// would open 8006 to the operator (and every neighbour there) past the
// rules; after up they reach SSH only, keys only.
func TestHardenElasticMetal(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/elastic-metal.yaml")
	rep, err := tw.up(Harden)
	requireClean(t, rep, err)
	checkPublicExposure(t, tw, operatorSource, "22/tcp")
	checkPublicExposure(t, tw, "203.0.113.250", "22/tcp")
}
