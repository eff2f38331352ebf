package proxmox

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// vm is a QEMU guest: its config file (values as stored, all text) and its
// run state.
type vm struct {
	VMID    int               `json:"vmid"`
	Node    string            `json:"node"`
	Conf    map[string]string `json:"conf"`
	Status  string            `json:"status"`
	Started time.Time         `json:"started"`
	Lock    string            `json:"lock,omitempty"`
}

// qemuKeys are the config keys of the PVE 8.4/9.1 schema; qemuFamilies the
// numbered ones (net0, scsi1...). qemuCreateOnly are create/update
// parameters that are not stored in the config.
var (
	qemuKeys = strings.Fields(`acpi affinity agent allow-ksm amd-sev arch args audio0 autostart balloon bios boot bootdisk
		cicustom cipassword citype ciupgrade ciuser cores cpu cpulimit cpuunits description efidisk0 freeze hookscript
		hotplug hugepages intel-tdx ivshmem keephugepages keyboard kvm localtime lock machine memory migrate_downtime
		migrate_speed name nameserver numa onboot ostype protection reboot rng0 scsihw searchdomain shares smbios1 smp
		sockets spice_enhancements sshkeys startdate startup tablet tags tdf template tpmstate0 vcpus vga vmgenid
		vmstatestorage watchdog`)
	qemuFamilies   = []string{"hostpci", "ide", "ipconfig", "net", "numa", "parallel", "sata", "scsi", "serial", "unused", "usb", "virtio", "virtiofs"}
	qemuCreateOnly = strings.Fields(`vmid archive bwlimit cdrom force import-working-storage live-restore pool start storage unique ha-managed
		digest delete revert skiplock background_delay`)
	qemuNumeric = map[string]bool{"acpi": true, "allow-ksm": true, "autostart": true, "balloon": true, "ciupgrade": true,
		"cores": true, "cpulimit": true, "cpuunits": true, "freeze": true, "keephugepages": true, "kvm": true, "localtime": true,
		"migrate_downtime": true, "migrate_speed": true, "numa": true, "onboot": true, "protection": true, "reboot": true,
		"shares": true, "smp": true, "sockets": true, "tablet": true, "tdf": true, "template": true, "vcpus": true}
	qemuBool = map[string]bool{"acpi": true, "allow-ksm": true, "autostart": true, "ciupgrade": true, "freeze": true,
		"keephugepages": true, "kvm": true, "localtime": true, "numa": true, "onboot": true, "protection": true,
		"reboot": true, "tablet": true, "tdf": true, "template": true}
	driveKeyRe = regexp.MustCompile(`^(ide[0-3]|sata[0-5]|scsi([0-9]|[12][0-9]|30)|virtio([0-9]|1[0-5])|efidisk0|tpmstate0)$`)
)

func qemuSpec() paramSpec {
	s := spec(append(append([]string{}, qemuKeys...), qemuCreateOnly...)...)
	s.families = qemuFamilies
	return s
}

// isDriveKey reports whether a config key is a disk or CD-ROM slot.
func isDriveKey(k string) bool { return driveKeyRe.MatchString(k) }

// driveKeys lists the drive keys of a config in PVE's allocation order.
func driveKeys(conf map[string]string) []string {
	var keys []string
	for k := range conf {
		if isDriveKey(k) {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return driveOrder(keys[i]) < driveOrder(keys[j]) })
	return keys
}

func driveOrder(k string) string {
	for i, p := range []string{"ide", "sata", "scsi", "virtio", "efidisk", "tpmstate"} {
		if rest, ok := strings.CutPrefix(k, p); ok {
			n, _ := strconv.Atoi(rest)
			return fmt.Sprintf("%d%03d", i, n)
		}
	}
	return k
}

// propString splits "vol,key=v,flag" into the first element and options.
func propString(v string) (string, map[string]string) {
	parts := strings.Split(v, ",")
	opts := map[string]string{}
	first := ""
	for i, p := range parts {
		k, val, ok := strings.Cut(p, "=")
		if i == 0 && !ok {
			first = p
			continue
		}
		opts[k] = val
	}
	return first, opts
}

// sizeBytes parses PVE sizes ("40G", "528K", "4M", plain bytes).
func sizeBytes(s string) int64 {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "T"):
		mult, s = 1<<40, strings.TrimSuffix(s, "T")
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	}
	f, _ := strconv.ParseFloat(s, 64)
	return int64(f * float64(mult))
}

// formatSize renders bytes the way PVE writes size= (largest exact unit).
func formatSize(b int64) string {
	for _, u := range []struct {
		s string
		m int64
	}{{"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
		if b >= u.m && b%u.m == 0 {
			return strconv.FormatInt(b/u.m, 10) + u.s
		}
	}
	return strconv.FormatInt(b, 10)
}

func (v *vm) memoryMiB() int {
	m := v.Conf["memory"]
	if cur, ok := strings.CutPrefix(m, "current="); ok {
		m = cur
	}
	if n, err := strconv.Atoi(strings.Split(m, ",")[0]); err == nil {
		return n
	}
	return 512
}

func (v *vm) cpus() int {
	cores, sockets := 1, 1
	if n, err := strconv.Atoi(v.Conf["cores"]); err == nil {
		cores = n
	}
	if n, err := strconv.Atoi(v.Conf["sockets"]); err == nil {
		sockets = n
	}
	return cores * sockets
}

// disks lists the VM's allocated disks: key, volume ID, size; CD-ROMs and
// cloud-init drives excluded.
func (v *vm) disks() (out []diskRef) {
	for _, k := range driveKeys(v.Conf) {
		vol, opts := propString(v.Conf[k])
		if opts["media"] == "cdrom" || vol == "none" || vol == "cdrom" || strings.HasSuffix(vol, "-cloudinit") {
			continue
		}
		out = append(out, diskRef{key: k, volid: vol, size: sizeBytes(opts["size"])})
	}
	return out
}

type diskRef struct {
	key, volid string
	size       int64
}

func (v *vm) bootDiskBytes() int64 {
	var total int64
	for _, d := range v.disks() {
		if d.key != "efidisk0" && d.key != "tpmstate0" {
			total += d.size
		}
	}
	return total
}

// digest is the SHA-1 of the config as written, which PUT/POST compare.
func (v *vm) digest() string {
	keys := make([]string, 0, len(v.Conf))
	for k := range v.Conf {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha1.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%s: %s\n", k, v.Conf[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (v *vm) tags() []string {
	var out []string
	for _, t := range strings.Split(v.Conf["tags"], ";") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// normalizeTags is get_unique_tags: split on ; , or space, dedupe, sort.
func normalizeTags(s string) string {
	seen := map[string]bool{}
	var out []string
	for _, t := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' || r == ' ' }) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i]) < strings.ToLower(out[j]) })
	return strings.Join(out, ";")
}

// info is what a started VM tells the rest of the simulated world.
func (c *Cluster) vmInfo(v *vm) simcore.VMInfo {
	info := simcore.VMInfo{VMID: v.VMID, Name: v.Conf["name"], Node: v.Node, Cores: v.cpus(),
		MemoryMiB: v.memoryMiB(), DiskBytes: v.bootDiskBytes(), Tags: v.tags()}
	if n := c.nodes[v.Node]; n != nil {
		info.Placement = n.Info.Placement
	}
	_, ipc := propString("x," + v.Conf["ipconfig0"])
	info.IPCIDR, info.Gateway = ipc["ip"], ipc["gw"]
	info.Nameservers = strings.Fields(v.Conf["nameserver"])
	for _, k := range driveKeys(v.Conf) {
		if vol, opts := propString(v.Conf[k]); opts["media"] == "cdrom" && strings.Contains(vol, ":iso/") {
			info.BootISO = vol
			break
		}
	}
	return info
}

// configJSON renders the config as GET .../config returns it: numbers for
// integer and boolean keys, text for the rest, plus the digest.
func (v *vm) configJSON() map[string]any {
	out := map[string]any{"digest": v.digest()}
	for k, val := range v.Conf {
		if qemuNumeric[k] {
			if f, err := strconv.ParseFloat(val, 64); err == nil {
				out[k] = f
				continue
			}
		}
		out[k] = val
	}
	if v.Lock != "" {
		out["lock"] = v.Lock
	}
	return out
}
