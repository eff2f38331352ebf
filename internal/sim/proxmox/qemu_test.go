package proxmox_test

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"testing"

	pxapi "github.com/Telmate/proxmox-api-go/proxmox"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// vmProfile is the tool's Talos VM: q35, OVMF, host CPU, no ballooning,
// virtio-scsi-pci, its disk on the Ceph pool, the Talos ISO, a static IP.
func vmProfile(node, name, ip string, memMiB int) pxapi.ConfigQemu {
	n, gn := pxapi.NodeName(node), pxapi.GuestName(name)
	cores, sockets, cpuType := pxapi.QemuCpuCores(4), pxapi.QemuCpuSockets(1), pxapi.CpuType("host")
	mem, balloon := pxapi.QemuMemoryCapacity(memMiB), pxapi.QemuMemoryBalloonCapacity(0)
	on, bridge, model := true, "vmbr1", pxapi.QemuNetworkModelVirtIO
	addr, gw := pxapi.IPv4CIDR(ip+"/24"), pxapi.IPv4Address("10.20.0.1")
	ns := []netip.Addr{netip.MustParseAddr("10.20.0.1")}
	tags := pxapi.Tags{"tripod", "tripod-cluster-lab", "controlplane"}
	return pxapi.ConfigQemu{
		Node: &n, Name: &gn, Machine: "q35", Bios: "ovmf", Scsihw: "virtio-scsi-pci", QemuOs: "l26", Tags: &tags,
		CPU:     &pxapi.QemuCPU{Cores: &cores, Sockets: &sockets, Type: &cpuType},
		Memory:  &pxapi.QemuMemory{CapacityMiB: &mem, MinimumCapacityMiB: &balloon},
		Agent:   &pxapi.QemuGuestAgent{Enable: &on},
		EFIDisk: pxapi.QemuDevice{"storage": "ceph-vm", "efitype": "4m", "pre-enrolled-keys": "0"},
		Disks: &pxapi.QemuStorages{
			Scsi: &pxapi.QemuScsiDisks{Disk_0: &pxapi.QemuScsiStorage{Disk: &pxapi.QemuScsiDisk{Storage: "ceph-vm", Format: pxapi.QemuDiskFormat_Raw, SizeInKibibytes: 40 << 20, IOThread: true, Discard: true, Backup: true}}},
			Ide: &pxapi.QemuIdeDisks{
				Disk_0: &pxapi.QemuIdeStorage{CloudInit: &pxapi.QemuCloudInitDisk{Storage: "ceph-vm", Format: pxapi.QemuDiskFormat_Raw}},
				Disk_2: &pxapi.QemuIdeStorage{CdRom: &pxapi.QemuCdRom{Iso: &pxapi.IsoFile{Storage: "local", File: "talos.iso"}}},
			},
		},
		Networks: pxapi.QemuNetworkInterfaces{0: {Model: &model, Bridge: &bridge}},
		CloudInit: &pxapi.CloudInit{
			NetworkInterfaces: pxapi.CloudInitNetworkInterfaces{0: {IPv4: &pxapi.CloudInitIPv4Config{Address: &addr, Gateway: &gw}}},
			DNS:               &pxapi.GuestDNS{NameServers: &ns},
		},
	}
}

type hookLog struct {
	mu      sync.Mutex
	started []simcore.VMInfo
	stopped []string
}

func (h *hookLog) install(w *world) {
	w.sim.OnVMStarted = func(v simcore.VMInfo) { h.mu.Lock(); h.started = append(h.started, v); h.mu.Unlock() }
	w.sim.OnVMStopped = func(node string, vmid int, ip string) {
		h.mu.Lock()
		h.stopped = append(h.stopped, node+"/"+ip)
		h.mu.Unlock()
	}
}

func TestCreateStartVMWithTelmate(t *testing.T) {
	w := newWorld(t)
	hooks := &hookLog{}
	hooks.install(w)
	cs := fullCeph(t, w)
	b := cs["pve2"]
	url, sum := talosISO(t, w)
	upid, _ := download(w, "pve2", url, "talos.iso", "sha256", sum)
	if st := w.wait(b, upid); st != "OK" {
		t.Fatalf("ISO download ended %q", st)
	}
	ctx := context.Background()
	vmr, err := vmProfile("pve2", "talos-cp-2", "10.20.0.102", 8192).Create(ctx, b)
	if err != nil {
		t.Fatalf("ConfigQemu.Create: %v", err)
	}
	if vmr.VmId() != 100 || errs(w) != "" {
		t.Fatalf("created VM %d; recorded errors: %s", vmr.VmId(), errs(w))
	}
	cfg, err := pxapi.NewConfigQemuFromApi(ctx, vmr, b)
	if err != nil {
		t.Fatalf("NewConfigQemuFromApi: %v", err)
	}
	if cfg.Machine != "q35" || cfg.Bios != "ovmf" || *cfg.CPU.Type != "host" || *cfg.Memory.MinimumCapacityMiB != 0 ||
		cfg.Scsihw != "virtio-scsi-pci" || cfg.Disks.Scsi.Disk_0.Disk.Storage != "ceph-vm" || cfg.Iso == nil || cfg.Iso.File != "talos.iso" ||
		string(*cfg.CloudInit.NetworkInterfaces[0].IPv4.Address) != "10.20.0.102/24" || len(*cfg.Tags) != 3 {
		t.Fatalf("config read back = %s", cfg)
	}
	raw := getMap(t, b, "/nodes/pve2/qemu/100/config")
	if raw["scsi0"] != "ceph-vm:vm-100-disk-0,discard=on,iothread=1,replicate=0,size=40G" || raw["tags"] != "controlplane;tripod;tripod-cluster-lab" || raw["balloon"] != 0.0 {
		t.Fatalf("raw config = %v", raw)
	}
	if err := pxapi.GuestStart(ctx, vmr, b); err != nil {
		t.Fatalf("start: %v", err)
	}
	hooks.mu.Lock()
	started := append([]simcore.VMInfo(nil), hooks.started...)
	hooks.mu.Unlock()
	if len(started) != 1 || started[0].IPCIDR != "10.20.0.102/24" || started[0].Node != "pve2" || started[0].Placement != "DC3" ||
		started[0].BootISO != "local:iso/talos.iso" || started[0].MemoryMiB != 8192 || started[0].Gateway != "10.20.0.1" {
		t.Fatalf("OnVMStarted = %+v", started)
	}
	if cur := getMap(t, b, "/nodes/pve2/qemu/100/status/current"); cur["status"] != "running" || cur["running-machine"] != "pc-q35-9.2+pve1" {
		t.Fatalf("status/current = %v", cur)
	}
	if _, err := b.DeleteVm(ctx, vmr); err == nil || !strings.Contains(err.Error(), "is running - destroy failed") {
		t.Fatalf("delete while running = %v", err)
	}
	// The guest turns itself off (a Talos reset without reboot): the VM is
	// stopped, and nobody is told it was stopped from here.
	w.sim.GuestPoweredOff("10.20.0.102/24")
	if cur := getMap(t, b, "/nodes/pve2/qemu/100/status/current"); cur["status"] != "stopped" {
		t.Fatalf("after the guest powered off: status/current = %v", cur)
	}
	hooks.mu.Lock()
	stoppedHooks := len(hooks.stopped)
	hooks.mu.Unlock()
	if stoppedHooks != 0 {
		t.Fatalf("OnVMStopped fired for a guest that powered itself off")
	}
	if _, err := b.StartVm(ctx, vmr); err != nil {
		t.Fatalf("restart after the guest powered off: %v", err)
	}

	id := pxapi.GuestID(100)
	taken := vmProfile("pve2", "dup", "10.20.0.103", 1024)
	taken.ID = &id
	if _, err := taken.Create(ctx, b); err == nil || !strings.Contains(err.Error(), "unable to create VM 100 - VM 100 already exists on node 'pve2'") {
		t.Fatalf("VM ID taken = %v", err)
	}
	if _, err := vmProfile("pve2", "huge", "10.20.0.104", 200000).Create(ctx, b); err == nil || !strings.Contains(err.Error(), "not enough memory on node 'pve2'") {
		t.Fatalf("memory over capacity = %v", err)
	}
	if st := w.sim.State(); len(st.VMs) != 1 || st.VMs[0].Status != "running" || st.VMs[0].IPCIDR != "10.20.0.102/24" {
		t.Fatalf("State().VMs = %+v", st.VMs)
	}
}

// A one-shot vm-start-fail fault fails exactly one start.
func TestVMStartFault(t *testing.T) {
	w := newWorld(t)
	hooks := &hookLog{}
	hooks.install(w)
	w.addHost("pve1", "DC2", "198.51.100.11")
	c := w.client("pve1")
	w.mustTask(c, "/nodes/pve1/qemu", map[string]any{"vmid": 120, "name": "w1", "memory": 2048, "net0": "virtio,bridge=vmbr0", "scsi0": "local-lvm:8", "ipconfig0": "ip=10.0.0.5/24"})
	spec, _ := simcore.ParseFaults("vm-start-fail=w1")
	w.env.Faults.Set(spec)
	upid, _ := post(c, "/nodes/pve1/qemu/120/status/start", nil)
	if st := w.wait(c, upid); st != "start failed: QEMU exited with code 1" {
		t.Fatalf("faulted start ended %q", st)
	}
	w.mustTask(c, "/nodes/pve1/qemu/120/status/start", nil)
	w.mustTask(c, "/nodes/pve1/qemu/120/status/stop", nil)
	w.mustTask(c, "/nodes/pve1/qemu/120/status/start", nil)
	w.mustTask(c, "/nodes/pve1/qemu/120/status/stop", nil)
	w.mustTask(c, "/nodes/pve1/qemu/120/status/start", nil)
	w.sim.RemoveHost("srv-pve1") // reinstalled: the guest dies with it
	hooks.mu.Lock()
	defer hooks.mu.Unlock()
	if len(hooks.started) != 3 || len(hooks.stopped) != 3 || hooks.stopped[0] != "pve1/10.0.0.5/24" {
		t.Fatalf("hooks: started %v stopped %v", hooks.started, hooks.stopped)
	}
	if _, ok := w.env.Net.Lookup("198.51.100.11:8006"); ok {
		t.Fatal("a removed host still listens")
	}
}

func errs(w *world) string {
	var out []string
	for _, e := range w.env.Log.Errors() {
		out = append(out, e.Detail)
	}
	return strings.Join(out, "; ")
}
