package e2e

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/simtest"
)

// labWithWorkers writes lab.yaml with par-dc2's workers.count set to n
// under dir/inventories, beside a dir/templates link to the repository's
// (the inventory names its patch as ../templates/common.yaml), and returns
// its path.
func labWithWorkers(t *testing.T, dir string, n int) (string, *inventory.Loaded) {
	t.Helper()
	data, err := os.ReadFile("../inventories/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := filepath.Abs("../templates")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "inventories"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(tmpl, filepath.Join(dir, "templates")); err != nil && !os.IsExist(err) {
		t.Fatal(err)
	}
	s := strings.Replace(string(data), "count: 1", fmt.Sprintf("count: %d", n), 1)
	path := filepath.Join(dir, "inventories", fmt.Sprintf("lab-%d.yaml", n))
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := inventory.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, l
}

// vmView is every VM in the simulated Proxmox: name -> VMID, host, status.
func vmView(sim *simProc) map[string]string {
	var st worldState
	sim.getJSON("/state", &st)
	out := map[string]string{}
	for _, vm := range st.Proxmox.VMs {
		out[vm.Name] = fmt.Sprintf("VMID %d on %s, %s", vm.VMID, vm.Node, vm.Status)
	}
	return out
}

// checkLayoutRuns checks that the world runs exactly the layout's VMs, each
// on its planned host with its VM ID, and that their nodes carry their AZ.
func checkLayoutRuns(t *testing.T, sim *simProc, dir string, l *inventory.Loaded) map[string]string {
	t.Helper()
	got := vmView(sim)
	want := map[string]string{}
	for _, vm := range l.Layout.VMs {
		want[vm.Name] = fmt.Sprintf("VMID %d on %s, running", vm.VMID, vm.Host)
	}
	if !maps.Equal(got, want) {
		t.Errorf("VMs in the world:\n %v\nwant the layout's:\n %v", got, want)
	}
	checkKubeNodes(t, sim, dir, l)
	return got
}

// scaleTo plans, checks the plan against what up then sends, request by
// request, and that a second up sends nothing.
func scaleTo(t *testing.T, sim *simProc, inv, dir string) {
	t.Helper()
	planned := planRequests(t, sim, inv, dir, 2)
	before := sim.requests()
	if r := tripod(t, sim, "up", "-i", inv, "--state-dir", dir); r.code != 0 {
		t.Fatalf("up %s: exit %d\n%s", inv, r.code, r.stderr)
	}
	if diff := simtest.CountDiff(planned, sentRequests(before, sim.requests())); diff != "" {
		t.Errorf("plan and up of %s differ (api request: planned/sent):\n%s", filepath.Base(inv), diff)
	}
	before = sim.requests()
	if r := tripod(t, sim, "up", "-i", inv, "--state-dir", dir); r.code != 0 {
		t.Fatalf("second up %s: exit %d\n%s", inv, r.code, r.stderr)
	}
	if after := sim.requests(); after.Mutating != before.Mutating {
		t.Errorf("second up of %s sent %d mutating requests: %v", filepath.Base(inv), after.Mutating-before.Mutating, after.mutatingRoutes())
	}
}

// TestScaleWorkersOfOneAZ is issue 12 with the real binary: lab up, then
// par-dc2's workers.count 1 -> 2 -> 1. Each step's plan is exactly what up
// sends, the world then runs exactly the layout's VMs (every earlier one
// with its VM ID and host, every node with its AZ's zone label), and a
// second up sends nothing.
func TestScaleWorkersOfOneAZ(t *testing.T) {
	sim := startSim(t, "--profile", "realistic", "--time-scale", "0.0005", "--seed", "7")
	dir, invs := t.TempDir(), t.TempDir()
	one, lab1 := labWithWorkers(t, invs, 1)
	two, lab2 := labWithWorkers(t, invs, 2)
	if r := tripod(t, sim, "up", "-i", one, "--state-dir", dir); r.code != 0 {
		t.Fatalf("up: exit %d\n%s", r.code, r.stderr)
	}
	before := checkLayoutRuns(t, sim, dir, lab1)

	scaleTo(t, sim, two, dir)
	after := checkLayoutRuns(t, sim, dir, lab2)
	if got := after["lab-par-dc2-w-2"]; got != "VMID 2002 on lab-pve-1, running" {
		t.Errorf("the new worker: %q", got)
	}
	delete(after, "lab-par-dc2-w-2")
	if !maps.Equal(after, before) {
		t.Errorf("scale-out changed other VMs:\n %v\nwant\n %v", after, before)
	}

	scaleTo(t, sim, one, dir)
	if got := checkLayoutRuns(t, sim, dir, lab1); !maps.Equal(got, before) {
		t.Errorf("after the scale-in:\n %v\nwant\n %v", got, before)
	}
	if errs := sim.requests().Errors; len(errs) > 0 {
		t.Errorf("simulator recorded errors: %+v", errs)
	}
}
