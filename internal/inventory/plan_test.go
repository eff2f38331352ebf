package inventory

import (
	"fmt"
	"path/filepath"
	"testing"
)

// vmIdentity is what must not move when another AZ's worker count changes.
func vmIdentity(vm VMPlan) string {
	return fmt.Sprintf("VMID %d, address %s, AZ %s, host %s", vm.VMID, vm.Address, vm.AZ, vm.Host)
}

// withWorkers returns a copy of c whose AZ i has n workers (explicit
// addresses beyond n dropped, as an operator scaling in would), and its
// layout; nil when the inventory does not validate (a scale-out that does
// not fit).
func withWorkers(t *testing.T, c *Cluster, dir string, i, n int) *Layout {
	t.Helper()
	c2 := *c
	c2.AZs = append([]AZ(nil), c.AZs...)
	w := &c2.AZs[i].Workers
	w.Count = n
	if len(w.Addresses) > n {
		w.Addresses = w.Addresses[:n]
	}
	l, fs := Validate(&c2, dir)
	if hasErrors(fs) {
		t.Logf("azs[%d].workers.count=%d does not validate: %v", i, n, fs)
		return nil
	}
	return l
}

// TestWorkerCountChangesMoveNothingElse changes each AZ's workers.count of
// each shipped inventory by one, up and down, and checks that every other
// VM keeps its name, VM ID, address, AZ and host, that scaling out adds
// exactly one worker in that AZ and that scaling in removes exactly that
// AZ's highest-index worker. Issue 12: workers numbered across AZs renamed
// and re-addressed other AZs' workers, and up then relabelled them.
func TestWorkerCountChangesMoveNothingElse(t *testing.T) {
	files, _ := filepath.Glob("../../inventories/*.yaml")
	if len(files) < 4 {
		t.Fatalf("want the shipped inventories, got %v", files)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			l, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			checked := 0
			for i, az := range l.Cluster.AZs {
				for _, n := range []int{az.Workers.Count + 1, az.Workers.Count - 1} {
					if n < 0 {
						continue
					}
					after := withWorkers(t, l.Cluster, l.Dir, i, n)
					if after == nil {
						continue
					}
					checked++
					checkOnlyAZChanged(t, l.Layout, after, az.Name, az.Workers.Count, n)
				}
			}
			if checked < len(l.Cluster.AZs) {
				t.Errorf("only %d count changes validated; the test would prove little", checked)
			}
		})
	}
}

// checkOnlyAZChanged compares two layouts whose only difference is AZ az's
// worker count, from was to now.
func checkOnlyAZChanged(t *testing.T, before, after *Layout, az string, was, now int) {
	t.Helper()
	old, cur := map[string]VMPlan{}, map[string]VMPlan{}
	for _, vm := range before.VMs {
		old[vm.Name] = vm
	}
	for _, vm := range after.VMs {
		cur[vm.Name] = vm
	}
	var added, removed []VMPlan
	for name, vm := range old {
		nv, ok := cur[name]
		switch {
		case !ok:
			removed = append(removed, vm)
		case vmIdentity(nv) != vmIdentity(vm):
			t.Errorf("%s count %d -> %d: %s moved from %s to %s", az, was, now, name, vmIdentity(vm), vmIdentity(nv))
		}
	}
	for name, vm := range cur {
		if _, ok := old[name]; !ok {
			added = append(added, vm)
		}
	}
	ids, addrs := map[int]string{}, map[string]string{}
	for _, vm := range after.VMs {
		if prev, dup := ids[vm.VMID]; dup {
			t.Errorf("VMID %d given to %s and %s", vm.VMID, prev, vm.Name)
		}
		if prev, dup := addrs[vm.Address.String()]; dup {
			t.Errorf("address %s given to %s and %s", vm.Address, prev, vm.Name)
		}
		ids[vm.VMID], addrs[vm.Address.String()] = vm.Name, vm.Name
	}
	if now > was {
		if len(removed) != 0 || len(added) != 1 || added[0].AZ != az || added[0].Type != WorkerNode || added[0].Index != now {
			t.Errorf("%s count %d -> %d: added %v, removed %v; want exactly worker %d of %s added", az, was, now, added, removed, now, az)
		}
		return
	}
	if len(added) != 0 || len(removed) != 1 || removed[0].AZ != az || removed[0].Type != WorkerNode || removed[0].Index != was {
		t.Errorf("%s count %d -> %d: added %v, removed %v; want exactly worker %d of %s removed", az, was, now, added, removed, was, az)
	}
}

// TestWorkerIdentity pins the scheme on lab.yaml: per-AZ names, VM IDs in
// the AZ's thousand, addresses from the AZ's block after the control
// planes' five.
func TestWorkerIdentity(t *testing.T) {
	l, err := Load("../../inventories/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"lab-cp-1":        "VMID 1001, address 10.20.0.50, AZ par-dc2, host lab-pve-1",
		"lab-cp-2":        "VMID 1002, address 10.20.0.51, AZ par-dc3, host lab-pve-2",
		"lab-cp-3":        "VMID 1003, address 10.20.0.52, AZ par-dc5, host lab-pve-3",
		"lab-par-dc2-w-1": "VMID 2001, address 10.20.0.55, AZ par-dc2, host lab-pve-1",
		"lab-par-dc3-w-1": "VMID 3001, address 10.20.0.121, AZ par-dc3, host lab-pve-2",
		"lab-par-dc5-w-1": "VMID 4001, address 10.20.0.187, AZ par-dc5, host lab-pve-3",
	}
	if len(l.Layout.VMs) != len(want) {
		t.Fatalf("lab has %d VMs, want %d", len(l.Layout.VMs), len(want))
	}
	for _, vm := range l.Layout.VMs {
		if got := vmIdentity(vm); got != want[vm.Name] {
			t.Errorf("%s: %s, want %s", vm.Name, got, want[vm.Name])
		}
	}
}
