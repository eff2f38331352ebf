package stage

import "testing"

// TestHardenRepairsHostFirewall: a host whose own firewall switch is 0 is
// outside the datacenter firewall, open to everybody; the next up switches
// it on again, and the exposure is back to SSH with keys only.
func TestHardenRepairsHostFirewall(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml")
	rep, err := tw.up(Harden)
	requireClean(t, rep, err)
	host := tw.Env.Layout().Hosts[1].Name
	if err := tw.World.Proxmox.SetHostFirewallOption(host, "enable", "0"); err != nil {
		t.Fatal(err)
	}
	if ex, _ := tw.World.Proxmox.Exposure(strangerSource, host); len(ex.Accepts) < 2 {
		t.Fatalf("with its switch off, %s accepts only %v: the test does not test", host, ex.Accepts)
	}
	tw.Env = newEnvFor(t, tw, tw.Inv)
	rep, err = tw.up(Harden)
	requireClean(t, rep, err)
	checkPublicExposure(t, tw, strangerSource, "22/tcp")
	checkPublicExposure(t, tw, neighbourSource, "22/tcp")
}
