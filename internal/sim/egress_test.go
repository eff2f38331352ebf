package sim

import (
	"net/http"
	"testing"

	"github.com/tripod-dev/tripod/internal/sim/proxmox"
	"github.com/tripod-dev/tripod/internal/sim/scaleway"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// A server rebooted through the Scaleway API reboots its Proxmox host: the
// live NAT goes, and comes back from the if-up.d hook when vmbr0 comes up.
func TestRebootRunsTheEgressHook(t *testing.T) {
	w := startWorld(t, Options{Profile: simcore.Instant, Seed: 3})
	if _, err := w.Scaleway.PreloadServer(scaleway.PreloadedServer{Provider: "dedibox", ID: "104201", Offer: "CORE-10-M",
		Datacenter: "DC2", Hostname: "lab-pve-1", InstalledOS: "proxmox", RootPassword: "Sup3r-secret-pw"}); err != nil {
		t.Fatal(err)
	}
	node := func() proxmox.NodeState {
		for _, n := range w.Proxmox.State().Nodes {
			if n.Name == "lab-pve-1" {
				return n
			}
		}
		t.Fatal("no Proxmox host lab-pve-1")
		return proxmox.NodeState{}
	}
	if n := node(); n.IPForward || len(n.NAT) != 0 || !n.SSH {
		t.Fatalf("fresh host: %+v", n)
	}
	if err := w.Proxmox.ConfigureEgress("lab-pve-1", "lab", "10.20.0.0/24"); err != nil {
		t.Fatal(err)
	}
	want := "-A POSTROUTING -s 10.20.0.0/24 ! -d 10.20.0.0/24 -o vmbr0 -j MASQUERADE"
	if n := node(); !n.IPForward || len(n.NAT) != 1 || n.NAT[0] != want {
		t.Fatalf("after the hook: %+v", n)
	}
	// A rewritten hook for another subnet: the live table holds both rules
	// until the reboot, after which only the hook's is back.
	if err := w.Proxmox.ConfigureEgress("lab-pve-1", "lab", "10.30.0.0/24"); err != nil {
		t.Fatal(err)
	}
	if n := node(); len(n.NAT) != 2 {
		t.Fatalf("before the reboot: %+v", n)
	}
	reboot(t, w, "104201")
	want = "-A POSTROUTING -s 10.30.0.0/24 ! -d 10.30.0.0/24 -o vmbr0 -j MASQUERADE"
	if n := node(); !n.IPForward || len(n.NAT) != 1 || n.NAT[0] != want {
		t.Fatalf("after a reboot: %+v", n)
	}
}

func reboot(t *testing.T, w *World, id string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, w.ScalewayURL()+"/dedibox/v1/zones/fr-par-1/servers/"+id+"/reboot", nil)
	req.Header.Set("X-Auth-Token", w.Scaleway.Credentials().SecretKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("reboot: %s", resp.Status)
	}
}
