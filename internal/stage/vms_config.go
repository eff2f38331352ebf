package stage

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	pve "github.com/Telmate/proxmox-api-go/proxmox"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/proxmox"
)

// VMFact is what the vms stage observed about a Talos VM, published on
// every run for the stages after it (facts.SetVM).
type VMFact struct {
	VMID    int
	Node    string     // the Proxmox node it runs on
	Address netip.Addr // its static address (cloud-init ipconfig0)
	MAC     string     // net0's MAC address
	Running bool
}

// vmTags are the tags tripod puts on a VM: the ownership tag and the
// machine type.
func (e *Env) vmTags(vm inventory.VMPlan) []string { return []string{e.VMTag(), string(vm.Type)} }

// vmConfig is the VM the layout asks for, as Telmate creates it: q35 with
// OVMF (and an EFI disk), CPU host, no ballooning, virtio-scsi-pci with the
// disk on the Ceph RBD storage, the Talos ISO as CD-ROM, net0 virtio on the
// VM bridge, and a cloud-init drive with the static address. The disk is
// whole GiB (Proxmox's unit), which Telmate creates in one request; any
// other size it follows with a resize.
func (e *Env) vmConfig(vm inventory.VMPlan) pve.ConfigQemu {
	c := e.Cluster()
	n, storage := c.Network, c.Proxmox.VMStorage
	node, name, id := pve.NodeName(vm.Host), pve.GuestName(vm.Name), pve.GuestID(vm.VMID)
	cores, sockets, cpuType := pve.QemuCpuCores(vm.Cores), pve.QemuCpuSockets(1), pve.CpuType("host")
	mem, balloon := pve.QemuMemoryCapacity(vm.Memory.MiB()), pve.QemuMemoryBalloonCapacity(0)
	on, bridge, model := true, n.Bridge, pve.QemuNetworkModelVirtIO
	addr := pve.IPv4CIDR(fmt.Sprintf("%s/%d", vm.Address, n.Subnet.Bits()))
	gw := pve.IPv4Address(vm.Gateway.String())
	ns := append([]netip.Addr(nil), n.DNS...)
	var tags pve.Tags
	for _, t := range e.vmTags(vm) {
		tags = append(tags, pve.Tag(t))
	}
	iso := e.talosISO()
	return pve.ConfigQemu{
		ID: &id, Node: &node, Name: &name, Machine: "q35", Bios: "ovmf", Scsihw: "virtio-scsi-pci", QemuOs: "l26",
		Boot: "order=scsi0;ide2", Tags: &tags,
		CPU:     &pve.QemuCPU{Cores: &cores, Sockets: &sockets, Type: &cpuType},
		Memory:  &pve.QemuMemory{CapacityMiB: &mem, MinimumCapacityMiB: &balloon},
		Agent:   &pve.QemuGuestAgent{Enable: &on},
		EFIDisk: pve.QemuDevice{"storage": storage, "efitype": "4m", "pre-enrolled-keys": "0"},
		Disks: &pve.QemuStorages{
			Scsi: &pve.QemuScsiDisks{Disk_0: &pve.QemuScsiStorage{Disk: &pve.QemuScsiDisk{
				Storage: storage, Format: pve.QemuDiskFormat_Raw, SizeInKibibytes: pve.QemuDiskSize(vm.Disk.GiB() << 20), Discard: true, Backup: true}}},
			Ide: &pve.QemuIdeDisks{
				Disk_0: &pve.QemuIdeStorage{CloudInit: &pve.QemuCloudInitDisk{Storage: storage, Format: pve.QemuDiskFormat_Raw}},
				Disk_2: &pve.QemuIdeStorage{CdRom: &pve.QemuCdRom{Iso: &pve.IsoFile{Storage: c.Proxmox.ISOStorage, File: iso.file}}},
			},
		},
		Networks: pve.QemuNetworkInterfaces{0: {Model: &model, Bridge: &bridge}},
		CloudInit: &pve.CloudInit{
			NetworkInterfaces: pve.CloudInitNetworkInterfaces{0: {IPv4: &pve.CloudInitIPv4Config{Address: &addr, Gateway: &gw}}},
			DNS:               &pve.GuestDNS{NameServers: &ns},
		},
	}
}

// vmSeen is a guest as /cluster/resources lists it.
type vmSeen struct {
	VMID   int
	Name   string
	Node   string
	Status string
	Tags   []string
}

// findVM looks for vm by its ID and by its name across the cluster. It
// returns nil when neither exists, the VM to adopt only when one guest has
// our tag, the VM ID and the name together, and an error (never touching
// anything) when the ID or the name is held by another guest, ours or not.
func (e *Env) findVM(ctx context.Context, c *proxmox.Client, vm inventory.VMPlan) (*vmSeen, error) {
	list, err := listVMs(ctx, c)
	if err != nil {
		return nil, err
	}
	tag := e.VMTag()
	if vm.Type == inventory.WorkerNode {
		if err := e.refuseLegacyWorkers(list); err != nil {
			return nil, err
		}
	}
	var byID *vmSeen
	var byName []vmSeen
	for _, s := range list {
		if s.VMID == vm.VMID {
			byID = &s
		} else if s.Name == vm.Name {
			byName = append(byName, s)
		}
	}
	for _, s := range byName {
		if !slices.Contains(s.Tags, tag) {
			return nil, fmt.Errorf("VM %d on node %s is named %s but does not carry the tag %s: it is not tripod's, and tripod never touches it; rename or remove it (or tag it %s to adopt it), then run again", s.VMID, s.Node, vm.Name, tag, tag)
		}
		return nil, fmt.Errorf("VM %s already exists as VMID %d on node %s, but the layout gives it VMID %d (did proxmox.vmidBase change?); refusing to create a second one", vm.Name, s.VMID, s.Node, vm.VMID)
	}
	if byID == nil {
		return nil, nil
	}
	switch {
	case byID.Name != vm.Name && slices.Contains(byID.Tags, tag):
		return nil, fmt.Errorf("VMID %d, which the layout gives %s, is this cluster's VM %q on node %s: a VM is only adopted when its tag, ID and name all match, and tripod does not rename VMs (was an AZ or the cluster renamed?); restore the old name in the inventory, or remove that VM, then run again", vm.VMID, vm.Name, byID.Name, byID.Node)
	case byID.Name != vm.Name:
		return nil, fmt.Errorf("VMID %d, which the layout gives %s, is taken on node %s by VM %q without the tag %s; tripod never touches it: free the ID or change proxmox.vmidBase", vm.VMID, vm.Name, byID.Node, byID.Name, tag)
	case !slices.Contains(byID.Tags, tag):
		return nil, fmt.Errorf("VM %d on node %s is named %s but does not carry the tag %s: it is not tripod's, and tripod never touches it; rename or remove it (or tag it %s to adopt it), then run again", byID.VMID, byID.Node, vm.Name, tag, tag)
	}
	return byID, nil
}

// refuseLegacyWorkers fails when a VM of ours has a worker name from before
// workers were named per AZ (<cluster>-w-<n>, numbered across the AZs): the
// layout gives its address to another worker now, and tripod does not
// migrate VMs. Nothing is created next to one.
func (e *Env) refuseLegacyWorkers(list []vmSeen) error {
	for _, s := range list {
		n, ok := strings.CutPrefix(s.Name, e.Cluster().Name+"-w-")
		if !ok || n == "" || strings.Trim(n, "0123456789") != "" || !slices.Contains(s.Tags, e.VMTag()) {
			continue
		}
		return fmt.Errorf("VM %d %s on node %s is a worker named by an earlier tripod, which numbered workers across AZs; workers are now named per AZ (%s-<az>-w-<k>) with addresses from their AZ's block, which may be its address: drain it and delete it (or run tripod down), then run up again", s.VMID, s.Name, s.Node, e.Cluster().Name)
	}
	return nil
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}
