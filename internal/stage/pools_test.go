package stage

import "testing"

// TestPoolSizes pins the run's concurrency limits: joins one at a time, VM
// work three at a time per Proxmox node, anything else (0) the runner's default.
func TestPoolSizes(t *testing.T) {
	for pool, want := range map[string]int{
		"pvecluster-join":   1,
		"proxmox-node:par1": 3,
		"proxmox-node:ams1": 3,
		"ceph-osd:par1":     0,
		"scaleway":          0,
	} {
		if got := Pools(pool); got != want {
			t.Errorf("Pools(%q) = %d, want %d", pool, got, want)
		}
	}
}
