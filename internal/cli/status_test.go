package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/sim"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// startWorld serves a simulated world in this process and points the
// command's environment at it, as `tripod sim serve` and its env file do.
func startWorld(t *testing.T) *sim.World {
	t.Helper()
	w, err := sim.Start(sim.Options{Profile: simcore.Instant, TimeScale: 0.01, Seed: 1, DataDir: t.TempDir(),
		SchematicIDs: []string{inventory.DefaultSchematic}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	for _, kv := range w.EnvVars() {
		t.Setenv(kv[0], kv[1])
	}
	t.Setenv("SCW_CONFIG_PATH", filepath.Join(t.TempDir(), "no-scw-config.yaml"))
	return w
}

func statusSteps(t *testing.T, out string) map[string]statusStep {
	t.Helper()
	var v struct{ Steps []statusStep }
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("status -o json: %v\n%s", err, out)
	}
	m := map[string]statusStep{}
	for _, s := range v.Steps {
		m[s.Stage+"/"+s.Target] = s
	}
	return m
}

// TestStatusExitCodesAndDarkAZ: status exits 0 only when everything was
// observed in place, 2 when changes are pending, 3 when part of the cluster
// could not be observed; and one dark AZ leaves only its own targets
// unobservable, not the health of all three.
func TestStatusExitCodesAndDarkAZ(t *testing.T) {
	w := startWorld(t)
	dir := t.TempDir()
	if code, _, errs := runCLI(t, "up", "-i", labInventory, "--state-dir", dir); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, errs)
	}
	if code, _, errs := runCLI(t, "status", "-i", labInventory, "--state-dir", dir); code != 0 {
		t.Fatalf("status of a converged cluster: exit %d\n%s", code, errs)
	}

	// What lives behind DC3's hosts is unobservable; its server (the
	// Scaleway API) and its machine configs (the state directory) are still
	// observed, and so is everything in the other AZs.
	l, err := inventory.Load(labInventory)
	if err != nil {
		t.Fatal(err)
	}
	wantUnknown := map[string]bool{}
	var darkHost string
	for _, h := range l.Layout.Hosts {
		if h.Placement == "DC3" {
			darkHost = h.Name
			for _, k := range []string{"os/", "network/", "network/egress/", "pvecluster/", "ceph/install/", "ceph/mon/", "ceph/osd/", "images/", "harden/", "scalein/"} {
				wantUnknown[k+h.Name] = true
			}
		}
	}
	for _, vm := range l.Layout.VMs {
		if h, _ := l.Layout.Host(vm.Host); h.Placement == "DC3" {
			wantUnknown["vms/"+vm.Name], wantUnknown["apply/"+vm.Name] = true, true
		}
	}
	w.Env.Faults.SetDark("DC3", true)
	code, out, errs := runCLI(t, "status", "-i", labInventory, "--state-dir", dir, "-o", "json")
	if code != statusExitUnobservable || !strings.Contains(errs, "could not be observed; first os/"+darkHost+":") {
		t.Fatalf("status with DC3 dark: exit %d, want %d\n%s", code, statusExitUnobservable, errs)
	}
	steps := statusSteps(t, out)
	for key, st := range steps {
		if wantUnknown[key] != (st.State == "unknown") || (st.State != "unknown" && st.State != "in-place") {
			t.Errorf("with DC3 dark, %s is %s: %s", key, st.State, st.Note)
		}
	}
	if steps["health/kubernetes"].State != "in-place" || steps["ceph/health"].State != "in-place" {
		t.Errorf("the cluster's health was not observed with one AZ dark: %+v %+v", steps["health/kubernetes"], steps["ceph/health"])
	}
	w.Env.Faults.SetDark("DC3", false)

	t.Setenv("SCW_SECRET_KEY", "00000000-0000-0000-0000-000000000000")
	code, _, errs = runCLI(t, "status", "-i", labInventory, "--state-dir", dir)
	if code != statusExitUnobservable || !strings.Contains(errs, "first preflight/account:") {
		t.Fatalf("status with refused credentials: exit %d, want %d\n%s", code, statusExitUnobservable, errs)
	}
	for _, kv := range w.EnvVars() {
		t.Setenv(kv[0], kv[1])
	}

	// One more worker in par-dc2: observed, and pending.
	inv, err := os.ReadFile(labInventory)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	templates, _ := filepath.Abs("../../templates")
	os.Symlink(templates, filepath.Join(tmp, "templates"))
	os.Mkdir(filepath.Join(tmp, "inventories"), 0o700)
	grown := filepath.Join(tmp, "inventories", "lab.yaml")
	os.WriteFile(grown, []byte(strings.Replace(string(inv), "count: 1", "count: 2", 1)), 0o600)
	if code, _, errs := runCLI(t, "status", "-i", grown, "--state-dir", dir); code != statusExitPending {
		t.Fatalf("status with a worker to add: exit %d, want %d\n%s", code, statusExitPending, errs)
	}
}
