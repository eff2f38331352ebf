package talos

import (
	"fmt"

	"github.com/cosi-project/runtime/pkg/resource"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	"github.com/siderolabs/talos/pkg/machinery/resources/block"
)

// The install's partitions ahead of EPHEMERAL on the system disk, as
// Talos lays them out: EFI, BIOS, BOOT, META and STATE.
const systemPartitionsBytes = (100 + 1 + 1000 + 1 + 100) << 20

// syncBlock keeps the block resources talosctl get disks, get systemdisk
// and get volumestatus read (and talosctl health's disk size check): the
// VM's disk as QEMU presents it on virtio-scsi and the ISO it booted from;
// once installed and running, the system disk and its EPHEMERAL volume,
// which fills the disk after the system partitions.
func (n *node) syncBlock() {
	n.mu.Lock()
	vm, installed, up := n.vm, n.installed, n.mode == ModeConfigured
	n.mu.Unlock()
	sda := block.NewDisk(block.NamespaceName, "sda")
	*sda.TypedSpec() = block.DiskSpec{DevPath: "/dev/sda", Size: uint64(vm.DiskBytes), PrettySize: ibytes(uint64(vm.DiskBytes)),
		IOSize: 512, SectorSize: 512, Model: "QEMU HARDDISK", Serial: fmt.Sprintf("drive-scsi0-%d", vm.VMID), Modalias: "scsi:t-0x00",
		BusPath: "/pci0000:00/0000:00:05.0/0000:01:01.0/virtio1/host2/target2:0:0/2:0:0:0", SubSystem: "/sys/class/block",
		Transport: "virtio", Rotational: true, Symlinks: []string{"/dev/disk/by-path/pci-0000:01:01.0-scsi-0:0:0:0"}}
	sr0 := block.NewDisk(block.NamespaceName, "sr0")
	*sr0.TypedSpec() = block.DiskSpec{DevPath: "/dev/sr0", Size: 100 << 20, PrettySize: "100 MiB", IOSize: 2048, SectorSize: 2048,
		Readonly: true, CDROM: true, Model: "QEMU DVD-ROM", Serial: "QM00003", Modalias: "scsi:t-0x05",
		BusPath: "/pci0000:00/0000:00:01.1/ata2/host1/target1:0:1/1:0:1:0", SubSystem: "/sys/class/block", Transport: "ata"}
	n.res.replace(block.NewDisk(block.NamespaceName, ""), []resource.Resource{sda, sr0}, "block.DisksController")

	var sys, vols []resource.Resource
	if installed && up {
		sd := block.NewSystemDisk(block.NamespaceName, block.SystemDiskID)
		sd.TypedSpec().DiskID, sd.TypedSpec().DevPath = "sda", "/dev/sda"
		sys = append(sys, sd)
		size := uint64(max(vm.DiskBytes-systemPartitionsBytes, 0))
		vs := block.NewVolumeStatus(block.NamespaceName, constants.EphemeralPartitionLabel)
		*vs.TypedSpec() = block.VolumeStatusSpec{Phase: block.VolumePhaseReady, Type: block.VolumeTypePartition,
			Location: "/dev/sda6", MountLocation: "/dev/sda6", PartitionIndex: 6, ParentLocation: "/dev/sda",
			Size: size, PrettySize: ibytes(size), Filesystem: block.FilesystemTypeXFS}
		vols = append(vols, vs)
	}
	n.res.replace(block.NewSystemDisk(block.NamespaceName, ""), sys, "block.SystemDiskController")
	n.res.replace(block.NewVolumeStatus(block.NamespaceName, ""), vols, "block.VolumeManagerController")
}
