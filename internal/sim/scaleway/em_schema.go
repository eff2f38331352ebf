package scaleway

import (
	"fmt"
	"net/http"
	"slices"
	"time"
)

// schemaW is a baremetal/v1 partitioning Schema, on the wire and in the world.
type schemaW struct {
	Disks       []schemaDiskW `json:"disks"`
	Raids       []schemaRaidW `json:"raids"`
	Filesystems []schemaFSW   `json:"filesystems"`
	Zfs         *schemaZfsW   `json:"zfs"`
}

type schemaDiskW struct {
	Device     string        `json:"device"`
	Partitions []schemaPartW `json:"partitions"`
}

type schemaPartW struct {
	Label                string `json:"label"`
	Number               uint32 `json:"number"`
	Size                 uint64 `json:"size"`
	UseAllAvailableSpace bool   `json:"use_all_available_space"`
}

type schemaRaidW struct {
	Name    string   `json:"name"`
	Level   string   `json:"level"`
	Devices []string `json:"devices"`
}

type schemaFSW struct {
	Device     string `json:"device"`
	Format     string `json:"format"`
	Mountpoint string `json:"mountpoint"`
}

type schemaZfsW struct {
	Pools []schemaPoolW `json:"pools"`
}

type schemaPoolW struct {
	Name              string   `json:"name"`
	Type              string   `json:"type"`
	Devices           []string `json:"devices"`
	Options           []string `json:"options"`
	FilesystemOptions []string `json:"filesystem_options"`
}

const mib = 1 << 20

// diskDevices names an offer's disks as Linux does: NVMe namespaces, SATA
// disks, or the eMMC of the RISC-V boards.
func diskDevices(kind string, n int) []string {
	out := make([]string, n)
	for i := range out {
		switch kind {
		case "NVMe", "nvme":
			out[i] = fmt.Sprintf("/dev/nvme%dn1", i)
		case "MMC":
			out[i] = fmt.Sprintf("/dev/mmcblk%d", i)
		default:
			out[i] = "/dev/sd" + string(rune('a'+i))
		}
	}
	return out
}

// partName is partition n of device, with the "p" Linux puts after a digit.
func partName(device string, n int) string {
	if c := device[len(device)-1]; c >= '0' && c <= '9' {
		return fmt.Sprintf("%sp%d", device, n)
	}
	return fmt.Sprintf("%s%d", device, n)
}

// defaultSchema is the layout Scaleway proposes, as recorded for EM-I215E-NVME:
// the first two disks mirrored (uefi, swap, /boot and / on md RAID 1), other
// disks left untouched. Proxmox VE keeps / at 60 GiB and puts the rest in a
// ZFS mirror "zpve"; other systems give the rest to /. The sizes match the
// recordings to the byte.
func defaultSchema(o emOffer, os emOS) *schemaW {
	devs := diskDevices(o.DiskType, min(o.Disks, 2))
	const uefi, swap, boot, pveRoot = 512 * mib, 4096 * mib, 512 * mib, 60 << 30
	rest := func(used uint64, slack uint64) uint64 { return (o.DiskBytes-used)/mib*mib - slack }
	sch := &schemaW{Zfs: &schemaZfsW{Pools: []schemaPoolW{}}}
	var bootParts, rootParts, dataParts []string
	for i, dev := range devs {
		var parts []schemaPartW
		add := func(label string, size uint64) {
			parts = append(parts, schemaPartW{Label: label, Number: uint32(len(parts) + 1), Size: size})
		}
		if i == 0 {
			add("uefi", uefi)
		}
		add("swap", swap)
		add("boot", boot)
		used := uint64(uefi + swap + boot) // mirrors are sized on the first disk
		if os.Proxmox {
			add("root", pveRoot)
			add("data", rest(used+pveRoot, mib))
			dataParts = append(dataParts, partName(dev, len(parts)))
		} else {
			add("root", rest(used, 10*mib))
		}
		n := len(parts)
		if os.Proxmox {
			n--
		}
		bootParts = append(bootParts, partName(dev, n-1))
		rootParts = append(rootParts, partName(dev, n))
		sch.Disks = append(sch.Disks, schemaDiskW{Device: dev, Partitions: parts})
	}
	bootDev, rootDev := bootParts[0], rootParts[0]
	sch.Raids = []schemaRaidW{}
	if len(devs) > 1 {
		bootDev, rootDev = "/dev/md0", "/dev/md1"
		sch.Raids = []schemaRaidW{
			{Name: bootDev, Level: "raid_level_1", Devices: bootParts},
			{Name: rootDev, Level: "raid_level_1", Devices: rootParts},
		}
	}
	sch.Filesystems = []schemaFSW{
		{Device: partName(devs[0], 1), Format: "fat32", Mountpoint: "/boot/efi"},
		{Device: bootDev, Format: "ext4", Mountpoint: "/boot"},
		{Device: rootDev, Format: "ext4", Mountpoint: "/"},
	}
	if os.Proxmox {
		typ := "mirror"
		if len(devs) == 1 {
			typ = "no_raid"
		}
		sch.Zfs.Pools = []schemaPoolW{{Name: "zpve", Type: typ, Devices: dataParts, Options: []string{"ashift=12"}, FilesystemOptions: []string{}}}
	}
	return sch
}

// checkSchema accepts a custom schema only on the offer's own disks.
func checkSchema(sch *schemaW, o emOffer) error {
	devs := diskDevices(o.DiskType, o.Disks)
	if len(sch.Disks) == 0 {
		return invalidArg("partitioning_schema.disks", "required", "at least one disk is required")
	}
	for _, d := range sch.Disks {
		if !slices.Contains(devs, d.Device) {
			return invalidArg("partitioning_schema.disks.device", "constraint", "unknown device "+d.Device+" for offer "+o.Name)
		}
	}
	return nil
}

// getDefaultSchema serves GET .../partitioning-schemas/default?offer_id&os_id.
func (s *Sim) getDefaultSchema(r *http.Request, _ time.Time) (any, error) {
	if _, err := emZone(r); err != nil {
		return nil, err
	}
	q := r.URL.Query()
	o, ok := emOfferByID(q.Get("offer_id"))
	if !ok {
		return nil, invalidArg("offer_id", "constraint", "unknown offer")
	}
	os, ok := emOSByID(q.Get("os_id"))
	if !ok {
		return nil, invalidArg("os_id", "constraint", "unknown OS")
	}
	if !os.CustomPartitioning || o.incompatibleWith(os.Code) {
		return nil, invalidArg("os_id", "constraint", "OS "+os.Name+" "+os.Version+" has no partitioning schema on "+o.Name)
	}
	return defaultSchema(o, os), nil
}
