package proxmox

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

var (
	newDiskRe = regexp.MustCompile(`^([a-zA-Z][\w\-.]*):(\d+(\.\d+)?)$`)
	macRe     = regexp.MustCompile(`^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$`)
	netModels = map[string]bool{"virtio": true, "e1000": true, "e1000e": true, "rtl8139": true, "vmxnet3": true}
)

// createVM is POST /nodes/{node}/qemu. Like qemu-server it checks the VMID,
// storages and volumes synchronously and allocates disks in the qmcreate
// worker; beyond PVE it refuses memory the node cannot give (the simulator
// does not overcommit), so placement mistakes show at once.
func (c *Cluster) createVM(q *call) (any, error) {
	n := q.node
	id, err := strconv.Atoi(q.str("vmid"))
	if err != nil || id < 100 || id > 999999999 {
		return nil, paramErr(map[string]string{"vmid": "property is missing and it is not optional"})
	}
	if q.str("archive") != "" {
		return nil, errf("restoring a backup is not modelled by the simulator")
	}
	if pool := q.str("pool"); pool != "" {
		return nil, errf("pool '%s' does not exist", pool)
	}
	if old := n.db.VMs[id]; old != nil {
		return nil, errf("unable to create VM %d - VM %d already exists on node '%s'", id, id, old.Node)
	}
	v := &vm{VMID: id, Node: n.Info.Hostname, Conf: map[string]string{}, Status: "stopped", Lock: "create"}
	if err := c.setConfig(n, v, q, true); err != nil {
		return nil, err
	}
	if aerr := c.checkMemory(n, v, 0); aerr != nil {
		return nil, aerr
	}
	sum := sha1hex(fmt.Sprintf("%d\x00%s\x00%d", c.env.Seed, n.label(), id))
	v.Conf["smbios1"] = "uuid=" + c.uuid("smbios\x00"+sum)
	v.Conf["vmgenid"] = c.uuid("vmgenid\x00" + sum)
	v.Conf["meta"] = fmt.Sprintf("creation-qemu=9.2.0,ctime=%d", q.now.Unix())
	n.db.VMs[id] = v
	t := c.newTask(n, "qmcreate", strconv.Itoa(id), q.who, simcore.OpVMCreate)
	t.Kind, t.Args = "qmcreate", map[string]string{"vmid": strconv.Itoa(id), "start": strconv.Itoa(b01(q.boolOr("start", false)))}
	if msg := c.allocationError(n, v); msg != "" {
		t.fail(msg)
	}
	return t.UPID, nil
}

// checkMemory refuses a VM whose memory the node cannot back.
func (c *Cluster) checkMemory(n *node, v *vm, previous int) *apiError {
	free := int(n.Info.MemoryBytes>>20) - int(c.HostReserveMiB)
	for _, u := range n.DiskUse {
		if strings.HasPrefix(u, "osd.") {
			free -= int(c.OSDMemoryMiB)
		}
	}
	for _, other := range n.db.VMs {
		if other.Node == n.Info.Hostname && other.VMID != v.VMID {
			free -= other.memoryMiB()
		}
	}
	if want := v.memoryMiB(); want > previous && want > free {
		return errf("unable to create VM %d - not enough memory on node '%s': %d MiB requested, %d MiB free (host reserve and OSDs included)",
			v.VMID, n.Info.Hostname, want, max(free, 0))
	}
	return nil
}

// setConfig applies create or update parameters to a config: normalised
// values, new disks planned, volumes and storages checked.
func (c *Cluster) setConfig(n *node, v *vm, q *call, create bool) *apiError {
	if cd := q.str("cdrom"); cd != "" {
		q.p.Set("ide2", cd+",media=cdrom")
	}
	for _, k := range configOrder(q.p) {
		val := q.str(k)
		switch {
		case contains(qemuCreateOnly, k):
			continue
		case qemuBool[k]:
			val = strconv.Itoa(b01(q.boolOr(k, false)))
		case k == "tags":
			val = normalizeTags(val)
		case k == "memory":
			if cur, ok := strings.CutPrefix(val, "current="); ok {
				val = cur
			}
		case strings.HasPrefix(k, "net") && !strings.HasPrefix(k, "numa"):
			var aerr *apiError
			if val, aerr = c.normalizeNet(v, k, val); aerr != nil {
				return aerr
			}
		case isDriveKey(k):
			var aerr *apiError
			if val, aerr = c.planDrive(n, v, k, val); aerr != nil {
				return aerr
			}
		}
		v.Conf[k] = val
	}
	return nil
}

// normalizeNet gives a NIC its MAC address (PVE's BC:24:11 prefix).
func (c *Cluster) normalizeNet(v *vm, key, val string) (string, *apiError) {
	parts := strings.Split(val, ",")
	model, mac, _ := strings.Cut(parts[0], "=")
	if !netModels[model] {
		return "", paramErr(map[string]string{key: "invalid format - format error\n" + key + ".model: value '" + model + "' does not have a value in the enumeration"})
	}
	if mac == "" {
		h := sha1hex(fmt.Sprintf("%d\x00%d\x00%s", c.env.Seed, v.VMID, key))
		mac = strings.ToUpper("BC:24:11:" + h[0:2] + ":" + h[2:4] + ":" + h[4:6])
	} else if !macRe.MatchString(mac) {
		return "", paramErr(map[string]string{key: "invalid format - format error\n" + key + ".macaddr: value does not match the regex pattern"})
	}
	parts[0] = model + "=" + strings.ToUpper(mac)
	return strings.Join(parts, ","), nil
}

// planDrive turns "STORAGE:SIZE" into the volume that will be allocated and
// checks referenced volumes: ISOs must exist on this node.
func (c *Cluster) planDrive(n *node, v *vm, key, val string) (string, *apiError) {
	vol, _ := propString(val)
	rest := strings.TrimPrefix(val, vol)
	switch {
	case vol == "none" || vol == "cdrom":
		return val, nil
	case strings.HasSuffix(vol, ":cloudinit"):
		sid := strings.TrimSuffix(vol, ":cloudinit")
		if _, aerr := nodeStorageCfg(n, sid); aerr != nil {
			return "", aerr
		}
		return fmt.Sprintf("%s:vm-%d-cloudinit,media=cdrom", sid, v.VMID), nil
	case newDiskRe.MatchString(vol):
		m := newDiskRe.FindStringSubmatch(vol)
		s, aerr := nodeStorageCfg(n, m[1])
		if aerr != nil {
			return "", aerr
		}
		if !s.contents()["images"] {
			return "", errf("storage '%s' does not support vm images", s.ID)
		}
		gib, _ := strconv.ParseFloat(m[2], 64)
		size := int64(gib * (1 << 30))
		switch key {
		case "efidisk0":
			size = 528 << 10
			if s.Type == "rbd" {
				size = 1 << 20
			}
		case "tpmstate0":
			size = 4 << 20
		}
		size = max(size, 1<<20)
		// qemu-server drops format= once the volume is allocated.
		return s.ID + ":" + nextDiskName(v, s.ID) + stripOpt(stripSize(rest), "format") + ",size=" + formatSize(size), nil
	case strings.Contains(vol, ":iso/"):
		sid, _, _ := strings.Cut(vol, ":")
		if _, aerr := nodeStorageCfg(n, sid); aerr != nil {
			return "", aerr
		}
		iso := n.Content[sid][vol]
		if iso == nil {
			return "", errf("volume '%s' does not exist", vol)
		}
		// qemu-server records the image's size on the drive (Telmate relies on it).
		return vol + ",media=cdrom" + stripSize(stripOpt(rest, "media")) + ",size=" + formatSize(iso.Size), nil
	}
	return val, nil
}

// stripOpt drops option key from ",k=v,..." text.
func stripOpt(rest, key string) string {
	var keep []string
	for _, p := range strings.Split(strings.TrimPrefix(rest, ","), ",") {
		if p != "" && !strings.HasPrefix(p, key+"=") {
			keep = append(keep, p)
		}
	}
	if len(keep) == 0 {
		return ""
	}
	return "," + strings.Join(keep, ",")
}

func stripSize(rest string) string { return stripOpt(rest, "size") }

// nextDiskName is find_free_diskname: vm-ID-disk-N, first N unused on sid.
func nextDiskName(v *vm, sid string) string {
	used := map[string]bool{}
	for _, val := range v.Conf {
		vol, _ := propString(val)
		used[vol] = true
	}
	for i := 0; ; i++ {
		name := fmt.Sprintf("vm-%d-disk-%d", v.VMID, i)
		if !used[sid+":"+name] {
			return name
		}
	}
}

// allocationError is what the worker's disk allocation would die with.
func (c *Cluster) allocationError(n *node, v *vm) string {
	for _, d := range v.disks() {
		sid, _, _ := strings.Cut(d.volid, ":")
		s := n.db.Storage[sid]
		if s == nil {
			continue
		}
		if active, total, used := c.storageUsage(n, s); !active {
			if s.Type == "rbd" {
				return fmt.Sprintf("unable to create VM %d - rbd error: rbd: error opening pool '%s': (2) No such file or directory", v.VMID, s.Opts["pool"])
			}
			return fmt.Sprintf("unable to create VM %d - storage '%s' is not online", v.VMID, sid)
		} else if total-used < d.size {
			return fmt.Sprintf("unable to create VM %d - not enough space on storage '%s'", v.VMID, sid)
		}
	}
	return ""
}

func (c *Cluster) applyVMCreate(n *node, t *task) {
	id, _ := strconv.Atoi(t.Args["vmid"])
	v := n.db.VMs[id]
	if v == nil {
		t.Err = fmt.Sprintf("unable to create VM %d - VM disappeared", id)
		return
	}
	v.Lock = ""
	if t.Args["start"] == "1" {
		c.startVM(v)
	}
}

// abortVMCreate removes the config of a VM whose creation failed.
func (c *Cluster) abortVMCreate(n *node, t *task) {
	id, _ := strconv.Atoi(t.Args["vmid"])
	if v := n.db.VMs[id]; v != nil && v.Lock == "create" {
		delete(n.db.VMs, id)
	}
}

// preloadVM puts a foreign guest on a node without a task or hooks: it was
// there before the simulation's story begins.
func (c *Cluster) preloadVM(n *node, p PreloadedVM) {
	if n.db.VMs[p.VMID] != nil {
		return
	}
	v := &vm{VMID: p.VMID, Node: n.Info.Hostname, Status: "stopped", Conf: map[string]string{
		"name": p.Name, "cores": strconv.Itoa(max(p.Cores, 1)), "memory": strconv.Itoa(max(p.MemoryMiB, 512)),
		"ostype": "l26", "scsihw": "virtio-scsi-single", "boot": "order=scsi0",
		"scsi0": fmt.Sprintf("local-lvm:vm-%d-disk-0,iothread=1,size=32G", p.VMID),
	}}
	if len(p.Tags) > 0 {
		v.Conf["tags"] = normalizeTags(strings.Join(p.Tags, ";"))
	}
	v.Conf["net0"], _ = c.normalizeNet(v, "net0", "virtio,bridge=vmbr0")
	if p.Running {
		v.Status, v.Started = "running", c.env.Now()
	}
	n.db.VMs[p.VMID] = v
}

// configOrder lists parameter names with drives last, in allocation order,
// so new disks get the names qemu-server would give them.
func configOrder(p map[string][]string) []string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		di, dj := isDriveKey(keys[i]), isDriveKey(keys[j])
		if di != dj {
			return dj
		}
		if di {
			return driveOrder(keys[i]) < driveOrder(keys[j])
		}
		return keys[i] < keys[j]
	})
	return keys
}
