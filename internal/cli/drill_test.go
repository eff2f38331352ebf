package cli

import (
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/inventory"
)

func loadLab(t *testing.T) *inventory.Loaded {
	t.Helper()
	l, err := inventory.Load("../../inventories/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestDrillAZIsOneOfTheInventorys(t *testing.T) {
	l := loadLab(t)
	if az, err := drillAZ(l, "par-dc3"); err != nil || placementOf(az) != "DC3" {
		t.Fatalf("par-dc3: %v, placement %q", err, placementOf(az))
	}
	_, err := drillAZ(l, "par-dc4")
	if err == nil || !strings.Contains(err.Error(), `--az "par-dc4" is not an AZ of`) || !strings.Contains(err.Error(), "par-dc5") {
		t.Fatalf("unknown AZ: %v; want one sentence naming the flag and the AZs there are", err)
	}
}

// The probes while an AZ is down ask only what is outside it.
func TestSurvivorsAreOutsideTheAZ(t *testing.T) {
	sv := survivorsOf(loadLab(t), "par-dc2")
	var cps []string
	for _, cp := range sv.cps {
		cps = append(cps, cp.Name)
	}
	if strings.Join(cps, ",") != "lab-cp-2,lab-cp-3" || strings.Join(sv.hosts, ",") != "lab-pve-2,lab-pve-3" || sv.pool != "vm" {
		t.Fatalf("survivors of par-dc2: cps %v, hosts %v, pool %q", cps, sv.hosts, sv.pool)
	}
}

// Stopping real VMs needs the AZ's name repeated; the simulator's way
// needs a served simulator.
func TestAZSwitchRefusals(t *testing.T) {
	t.Setenv("TRIPOD_SIM", "")
	cases := []struct {
		f    azLossFlags
		want string
	}{
		{azLossFlags{az: "par-dc2", via: viaAuto}, "pass --confirm par-dc2"},
		{azLossFlags{az: "par-dc2", via: viaProxmox, confirm: "par-dc3"}, "pass --confirm par-dc2"},
		{azLossFlags{az: "par-dc2", via: viaSim}, "needs TRIPOD_SIM"},
		{azLossFlags{az: "par-dc2", via: "ssh"}, `--via "ssh"`},
		{azLossFlags{az: "par-dc2", via: viaAuto, run: runFlags{sim: true}}, "served by another process"},
	}
	for _, c := range cases {
		if _, err := azSwitchFor(&session{}, &c.f); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v; want %q", c.f, err, c.want)
		}
	}
	f := azLossFlags{az: "par-dc2", via: viaAuto, confirm: "par-dc2"}
	if sw, err := azSwitchFor(&session{}, &f); err != nil || sw.mode(inventory.AZ{Name: "par-dc2"}) != "proxmox, VMs of par-dc2 stopped" {
		t.Fatalf("confirmed, no simulator: %v", err)
	}
}
