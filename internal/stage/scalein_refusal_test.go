package stage

import (
	"slices"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/run"
	simpve "github.com/tripod-dev/tripod/internal/sim/proxmox"
)

// TestSurplusControlPlaneIsRefused: a control plane of this cluster that
// the layout does not have is never removed by up (that needs its etcd
// member removed first); its host's scalein step fails with one sentence and
// touches nothing, the other hosts' steps pass.
func TestSurplusControlPlaneIsRefused(t *testing.T) {
	w := newPVEWorld(t, "../../inventories/lab.yaml")
	w.World.Proxmox.PreloadVM("lab-pve-1", simpve.PreloadedVM{VMID: 1004, Name: "lab-cp-4", Tags: []string{w.Env.VMTag(), "controlplane"}, Cores: 1, MemoryMiB: 1024})
	rep, err := w.run(w.Env, "", false)
	if err == nil {
		t.Fatal("up succeeded beside a surplus control plane")
	}
	msg := failure(rep, run.On(ScaleIn, "lab-pve-1"))
	for _, want := range []string{"1004", "lab-cp-4", "does not remove control planes"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the refusal does not say %q: %q", want, msg)
		}
	}
	if f := rep.Failed(); len(f) != 1 {
		t.Errorf("failed steps %+v; want only scalein/lab-pve-1", f)
	}
	for _, m := range rep.Mutations() {
		if strings.Contains(m.Object, "lab-cp-4") || strings.Contains(m.Object, "1004") {
			t.Errorf("up touched the surplus control plane: %s", m)
		}
	}
	s := w.World.Proxmox.State()
	if !slices.ContainsFunc(s.VMs, func(v simpve.VMState) bool { return v.VMID == 1004 && v.Name == "lab-cp-4" }) {
		t.Errorf("the surplus control plane is gone: %+v", s.VMs)
	}
}

// TestOurVMUnderAnotherNameIsNotAdopted: a VM with this cluster's tag that
// holds a layout VM's ID under another name (an AZ renamed) is neither
// adopted nor taken for surplus: the vms step refuses with what to do.
func TestOurVMUnderAnotherNameIsNotAdopted(t *testing.T) {
	w := newPVEWorld(t, "../../inventories/lab.yaml")
	w.World.Proxmox.PreloadVM("lab-pve-1", simpve.PreloadedVM{VMID: 2001, Name: "lab-dc2-w-1", Tags: []string{w.Env.VMTag(), "worker"}, Cores: 1, MemoryMiB: 1024})
	rep, err := w.run(w.Env, VMs, false)
	if err == nil {
		t.Fatal("up adopted a VM of ours under another name")
	}
	msg := failure(rep, run.On(VMs, "lab-par-dc2-w-1"))
	for _, want := range []string{"2001", `"lab-dc2-w-1"`, "does not rename"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the refusal does not say %q: %q", want, msg)
		}
	}
	s := w.World.Proxmox.State()
	if i := slices.IndexFunc(s.VMs, func(v simpve.VMState) bool { return v.VMID == 2001 }); i < 0 || s.VMs[i].Name != "lab-dc2-w-1" || s.VMs[i].Cores != 1 {
		t.Errorf("the VM was touched: %+v", s.VMs)
	}
}

// TestWorkersNamedAcrossAZsAreRefused: a worker an earlier tripod made
// (lab-w-<n>, numbered across the AZs) may hold an address the layout now
// gives another worker; no worker is created beside one, and it is left
// alone. The control planes, whose identity did not change, are adopted.
func TestWorkersNamedAcrossAZsAreRefused(t *testing.T) {
	w := newPVEWorld(t, "../../inventories/lab.yaml")
	w.World.Proxmox.PreloadVM("lab-pve-1", simpve.PreloadedVM{VMID: 1103, Name: "lab-w-3", Tags: []string{w.Env.VMTag(), "worker"}, Cores: 2, MemoryMiB: 6144, Running: true})
	rep, err := w.run(w.Env, VMs, false)
	if err == nil {
		t.Fatal("up created workers beside one named by the old scheme")
	}
	for _, vm := range w.Env.Layout().VMs {
		msg := failure(rep, run.On(VMs, vm.Name))
		if vm.Type == "worker" && !strings.Contains(msg, "VM 1103 lab-w-3 on node lab-pve-1 is a worker named by an earlier tripod") {
			t.Errorf("%s: %q, want the refusal", vm.Name, msg)
		}
		if vm.Type != "worker" && msg != "" {
			t.Errorf("%s failed: %s", vm.Name, msg)
		}
	}
	for _, m := range rep.Mutations() {
		if strings.Contains(m.Object, "-w-") {
			t.Errorf("up changed a worker: %s", m)
		}
	}
	s := w.World.Proxmox.State()
	if i := slices.IndexFunc(s.VMs, func(v simpve.VMState) bool { return v.VMID == 1103 }); i < 0 || s.VMs[i].Status != "running" {
		t.Errorf("the old worker was touched: %+v", s.VMs)
	}
}
