package e2e

import (
	"slices"
	"testing"
)

// TestAZLossDrillThroughProxmoxStopsTheAZsVMs: through Proxmox the drill
// refuses to start without --confirm repeating the AZ (and sends no stop);
// with it, it stops exactly the VMs of par-dc3, sees their nodes NotReady,
// starts them again and reports them Ready, every promise held.
func TestAZLossDrillThroughProxmoxStopsTheAZsVMs(t *testing.T) {
	sim, l, dir := upLab(t)
	const stop, start = "POST /api2/json/nodes/{node}/qemu/{vmid}/status/stop", "POST /api2/json/nodes/{node}/qemu/{vmid}/status/start"
	count := func(route string) int { return sim.requests().APIs["proxmox"].Routes[route].Mutating }
	stops, starts := count(stop), count(start)
	r := tripod(t, sim, "drill", "az-loss", "--az", "par-dc3", "--via", "proxmox", "-i", l.File, "--state-dir", dir, "--for", "5s")
	if r.code != 1 || count(stop) != stops {
		t.Fatalf("without --confirm: exit %d, %d stops sent; want exit 1 and none\n%s", r.code, count(stop)-stops, r.stderr)
	}
	r = tripod(t, sim, "drill", "az-loss", "--az", "par-dc3", "--via", "proxmox", "--confirm", "par-dc3", "-i", l.File, "--state-dir", dir, "--for", "15s")
	if r.code != 0 {
		t.Fatalf("drill: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var inDC3 []string
	for _, vm := range l.Layout.VMs {
		if vm.AZ == "par-dc3" {
			inDC3 = append(inDC3, vm.Name)
		}
	}
	slices.Sort(inDC3)
	if got := count(stop) - stops; got != len(inDC3) {
		t.Errorf("%d VMs stopped, want the %d of par-dc3", got, len(inDC3))
	}
	if got := count(start) - starts; got != len(inDC3) {
		t.Errorf("%d VMs started again, want %d", got, len(inDC3))
	}
	rep := drillReport(t, dir)
	if !slices.Equal(rep.NodesNotReady, inDC3) {
		t.Errorf("nodes seen NotReady %v, want exactly par-dc3's %v", rep.NodesNotReady, inDC3)
	}
	for _, p := range rep.Promises {
		if !p.Held {
			t.Errorf("promise broken: %s: %s (%s)", p.Name, p.Measured, p.Evidence)
		}
	}
}
