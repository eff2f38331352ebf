package stage

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/run"
)

// A certificate swapped once the cluster exists is refused with both
// fingerprints, although the cluster's record now lists it: it is not the
// cluster CA's. The pin is left as it was; nothing is sent.
func TestSwappedCertificateAfterTheClusterIsRefused(t *testing.T) {
	for _, host := range []string{"lab-pve-2", "lab-pve-1"} {
		t.Run(host, func(t *testing.T) {
			w := newPVEWorld(t, "../../inventories/lab.yaml")
			rep, err := w.run(w.Env, PVECluster, false)
			requirePVEClean(t, rep, err)
			pinned := w.World.Proxmox.Fingerprint(host)
			if err := w.World.Proxmox.SwapCertificate(host); err != nil {
				t.Fatal(err)
			}
			presented := w.World.Proxmox.Fingerprint(host)
			before := w.mutations()
			rep, err = w.run(w.fresh(), PVECluster, false)
			if err == nil {
				t.Fatal("a swapped certificate was accepted")
			}
			msg := failure(rep, run.On(OS, host))
			for _, want := range []string{pinned, presented, "pins/" + host} {
				if !strings.Contains(msg, want) {
					t.Errorf("the refusal does not show %q: %s", want, msg)
				}
			}
			if b, _ := os.ReadFile(filepath.Join(w.Env.State.Path, "pins", host)); strings.TrimSpace(string(b)) != pinned {
				t.Errorf("the pin changed to %s", b)
			}
			if n := w.mutations() - before; n != 0 {
				t.Errorf("%d mutating requests were sent", n)
			}
			checkNoSecretsInEvents(t, w)
		})
	}
}
