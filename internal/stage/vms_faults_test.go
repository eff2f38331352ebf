package stage

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/run"
	simpve "github.com/tripod-dev/tripod/internal/sim/proxmox"
)

// failure is the error of the failed step key, "" if it did not fail.
func failure(rep *run.Report, key run.Key) string {
	for _, s := range rep.Failed() {
		if s.Key == key && s.Err != nil {
			return s.Err.Error()
		}
	}
	return ""
}

func TestSwappedCertificateIsRefused(t *testing.T) {
	w := newPVEWorld(t, "../../inventories/lab.yaml")
	rep, err := w.run(w.Env, OS, false)
	requirePVEClean(t, rep, err)
	pinned := w.World.Proxmox.Fingerprint("lab-pve-2")
	if err := w.World.Proxmox.SwapCertificate("lab-pve-2"); err != nil {
		t.Fatal(err)
	}
	presented := w.World.Proxmox.Fingerprint("lab-pve-2")
	rep, err = w.run(w.fresh(), PVECluster, false)
	if err == nil {
		t.Fatal("a swapped certificate was accepted")
	}
	msg := failure(rep, run.On(OS, "lab-pve-2"))
	for _, want := range []string{pinned, presented, "pins/lab-pve-2"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the refusal does not show %q: %s", want, msg)
		}
	}
	if pw, _ := w.Env.State.Secrets.Get(secretRootPassword("lab-pve-2")); strings.Contains(msg, string(pw)) {
		t.Error("the refusal carries the root password")
	}
	if st := w.World.Proxmox.State(); len(st.Cluster.Nodes) != 0 {
		t.Errorf("a cluster was formed anyway: %+v", st.Clusters)
	}
}

func TestForeignVMWithOurNameIsLeftAlone(t *testing.T) {
	w := newPVEWorld(t, "../../inventories/lab.yaml")
	foreign := simpve.PreloadedVM{VMID: 555, Name: "lab-par-dc2-w-1", Tags: []string{"team-db"}, Cores: 3, MemoryMiB: 1024}
	w.World.Proxmox.PreloadVM("lab-pve-1", foreign)
	w.World.Proxmox.PreloadVM("lab-pve-1", simpve.PreloadedVM{VMID: 1002, Name: "db-1", Cores: 1, MemoryMiB: 1024}) // lab-cp-2's ID
	rep, err := w.run(w.Env, VMs, false)
	if err == nil {
		t.Fatal("up succeeded next to a foreign VM with one of our names")
	}
	msg := failure(rep, run.On(VMs, "lab-par-dc2-w-1"))
	for _, want := range []string{"555", "lab-pve-1", w.Env.VMTag()} {
		if !strings.Contains(msg, want) {
			t.Errorf("the failure does not name %q: %s", want, msg)
		}
	}
	if msg := failure(rep, run.On(VMs, "lab-cp-2")); !strings.Contains(msg, "1002") || !strings.Contains(msg, `"db-1"`) {
		t.Errorf("the VMID clash is not reported: %q", msg)
	}
	if n := len(rep.Failed()); n != 2 {
		t.Errorf("%d steps failed; only vms/lab-par-dc2-w-1 and vms/lab-cp-2 should: %+v", n, rep.Failed())
	}
	s := w.World.Proxmox.State()
	i := slices.IndexFunc(s.VMs, func(v simpve.VMState) bool { return v.VMID == 555 })
	if i < 0 || s.VMs[i].Status != "stopped" || s.VMs[i].Cores != 3 || s.VMs[i].MemoryMiB != 1024 || !slices.Equal(s.VMs[i].Tags, []string{"team-db"}) {
		t.Errorf("the foreign VM was touched: %+v", s.VMs)
	}
	for _, vm := range w.Env.Layout().VMs {
		if vm.Name != "lab-par-dc2-w-1" && vm.Name != "lab-cp-2" && !slices.ContainsFunc(s.VMs, func(v simpve.VMState) bool { return v.VMID == vm.VMID && v.Status == "running" }) {
			t.Errorf("%s is not running: the foreign VM held up others", vm.Name)
		}
	}
}

func TestRTTAbove10msRefusesTheCluster(t *testing.T) {
	w := newPVEWorld(t, "../../inventories/lab.yaml", withFaults("rtt=DC2-DC5:12ms"))
	rep, err := w.run(w.Env, PVECluster, false)
	if err == nil {
		t.Fatal("a cluster was formed over a 12 ms link")
	}
	msg := failure(rep, run.On(PVECluster, "lab-pve-1"))
	for _, want := range []string{"lab-pve-1 (DC2)", "lab-pve-3 (DC5)", "12.0 ms"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the refusal does not show %q: %s", want, msg)
		}
	}
	if st := w.World.Proxmox.State(); len(st.Clusters) != 0 {
		t.Errorf("clusters = %+v", st.Clusters)
	}
}

func TestRTTBetween5And10msWarnsAndProceeds(t *testing.T) {
	w := newPVEWorld(t, "../../inventories/lab.yaml", withFaults("rtt=DC2-DC3:7ms"))
	rep, err := w.run(w.Env, PVECluster, false)
	requirePVEClean(t, rep, err)
	if st := w.World.Proxmox.State(); len(st.Cluster.Nodes) != 3 || !st.Cluster.Quorate {
		t.Fatalf("cluster = %+v", st.Cluster)
	}
	warned := false
	for _, msg := range w.warnings() {
		warned = warned || (strings.Contains(msg, "lab-pve-1 (DC2)") && strings.Contains(msg, "lab-pve-2 (DC3)") && strings.Contains(msg, "7.0 ms"))
	}
	if !warned {
		t.Errorf("no warning names the 7 ms pair: %v", w.warnings())
	}
}

// A full plan from scratch lists the whole build and sends nothing.
func TestPlanFromScratchSendsNothing(t *testing.T) {
	w := newPVEWorld(t, "../../inventories/lab.yaml")
	rep, err := w.run(w.Env, VMs, true)
	requirePVEClean(t, rep, err)
	if n := w.mutations(); n != 0 {
		t.Errorf("plan made %d mutating requests: %v", n, w.World.Env.Log.Snapshot().MutatingRoutes())
	}
	var got []string
	for _, m := range rep.Mutations() {
		got = append(got, m.Verb+" "+m.Object)
	}
	for _, want := range []string{"create Proxmox cluster lab on lab-pve-1", "join lab-pve-2 to Proxmox cluster lab", "create Ceph pool vm",
		"create VM 1001 lab-cp-1 on lab-pve-1", "start VM 4001 lab-par-dc5-w-1"} {
		if !slices.Contains(got, want) {
			t.Errorf("plan lacks %q:\n%s", want, strings.Join(got, "\n"))
		}
	}
}

// Drift of an adopted VM is planned as an update and fixed by up.
func TestVMDriftIsPlannedAndFixed(t *testing.T) {
	w := newPVEWorld(t, "../../inventories/lab.yaml")
	rep, err := w.run(w.Env, VMs, false)
	requirePVEClean(t, rep, err)
	c := w.apiClient("lab-pve-1")
	if _, err := c.Put(context.Background(), "/nodes/lab-pve-1/qemu/1001/config", map[string]any{"cores": 1, "memory": 2048, "tags": "tripod-lab"}); err != nil {
		t.Fatal(err)
	}
	rep, err = w.run(w.fresh(), VMs, true)
	requirePVEClean(t, rep, err)
	var planned []string
	for _, m := range rep.Mutations() {
		planned = append(planned, m.String())
	}
	if len(planned) != 1 || !strings.HasPrefix(planned[0], "update VM 1001 lab-cp-1") {
		t.Fatalf("plan = %v; want one update of VM 1001", planned)
	}
	rep, err = w.run(w.fresh(), VMs, false)
	requirePVEClean(t, rep, err)
	s := w.World.Proxmox.State()
	i := slices.IndexFunc(s.VMs, func(v simpve.VMState) bool { return v.VMID == 1001 })
	if v := s.VMs[i]; v.Cores != 2 || v.MemoryMiB != 4096 || !slices.Contains(v.Tags, "controlplane") {
		t.Errorf("VM 1001 after up = %+v", v)
	}
	rep, err = w.run(w.fresh(), VMs, true)
	requirePVEClean(t, rep, err)
	if ms := rep.Mutations(); len(ms) != 0 {
		t.Errorf("plan after the fix = %v", ms)
	}
}
