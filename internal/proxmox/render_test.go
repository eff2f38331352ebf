package proxmox

import (
	"context"
	"strings"
	"testing"
	"time"

	pve "github.com/Telmate/proxmox-api-go/proxmox"

	"github.com/tripod-dev/tripod/internal/retry"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

func testVM(sizeKiB int64) pve.ConfigQemu {
	id, node, name := pve.GuestID(101), pve.NodeName("pve1"), pve.GuestName("t1")
	cores, mem := pve.QemuCpuCores(2), pve.QemuMemoryCapacity(2048)
	return pve.ConfigQemu{ID: &id, Node: &node, Name: &name, CPU: &pve.QemuCPU{Cores: &cores}, Memory: &pve.QemuMemory{CapacityMiB: &mem},
		Disks: &pve.QemuStorages{Scsi: &pve.QemuScsiDisks{Disk_0: &pve.QemuScsiStorage{Disk: &pve.QemuScsiDisk{
			Storage: "local-lvm", Format: pve.QemuDiskFormat_Raw, SizeInKibibytes: pve.QemuDiskSize(sizeKiB)}}}}}
}

// Telmate renders the create offline; the one POST is sent by tripod and
// makes the VM. A size Telmate would follow with a resize is refused before
// anything is sent.
func TestQemuCreateParamsRendersOneRequest(t *testing.T) {
	f := newFleet(t)
	root := f.root(f.add("pve1", "DC2", "198.51.100.11", true))
	ctx := context.Background()
	before := f.env.Log.Snapshot().Mutating
	if _, err := root.QemuCreateParams(ctx, testVM(4<<20+512<<10)); err == nil || !strings.Contains(err.Error(), "more than one request") {
		t.Fatalf("a 4.5 GiB disk rendered: %v", err)
	}
	params, err := root.QemuCreateParams(ctx, testVM(4<<20))
	if err != nil {
		t.Fatal(err)
	}
	if n := f.env.Log.Snapshot().Mutating; n != before {
		t.Fatalf("rendering sent %d mutating requests", n-before)
	}
	if params["vmid"] != "101" || params["name"] != "t1" || !strings.HasPrefix(params["scsi0"].(string), "local-lvm:4") {
		t.Fatalf("params = %v", params)
	}
	if err := root.RunTask(ctx, "/nodes/pve1/qemu", params, TaskWait{}); err != nil {
		t.Fatal(err)
	}
	conf, err := root.GetMap(ctx, "/nodes/pve1/qemu/101/config")
	if err != nil || conf["name"] != "t1" {
		t.Fatalf("config = %v, %v", conf, err)
	}
}

// A POST that hangs is cut by the transport's attempt timeout and not
// repeated (it may have been carried out); the error says it was cut, which
// is transient, so the caller looks before it sends it again.
func TestHungPostIsCutNotRepeated(t *testing.T) {
	f := newFleet(t)
	root := f.root(f.add("pve1", "DC2", "198.51.100.11", true))
	spec, err := simcore.ParseFaults("proxmox.hang=1;hang-for=1m")
	if err != nil {
		t.Fatal(err)
	}
	f.env.Faults.Set(spec)
	start := time.Now()
	_, err = root.Post(context.Background(), "/nodes/pve1/qemu", map[string]any{"vmid": 102})
	if err == nil || Classify(err).Class != retry.Transient {
		t.Fatalf("hung POST = %v", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("the hang was cut after %v", d)
	}
	if n := f.env.Faults.Injected()["proxmox hang"]; n != 1 {
		t.Errorf("the hung POST was sent %d times", n)
	}
}
