package proxmox

import (
	"strconv"
	"strings"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// hostDisk finds a physical disk of the node by its device path.
func hostDisk(n *node, dev string) (int, bool) {
	for i, d := range n.Info.Disks {
		if d.Device == dev {
			return i, true
		}
	}
	return 0, false
}

// createOSD is POST /nodes/{node}/ceph/osd (root@pam only). The system disk
// and disks holding an OSD are "in use"; the disk is claimed at once so a
// second request for it fails too.
func (c *Cluster) createOSD(q *call) (any, error) {
	n := q.node
	if _, aerr := c.cephReady(n, "mon"); aerr != nil {
		return nil, aerr
	}
	if !c.cephInstalled(n) {
		return nil, errf("binary not installed: %s", cephBinaries["osd"])
	}
	dev := q.str("dev")
	if !strings.HasPrefix(dev, "/dev/") {
		dev = "/dev/" + dev
	}
	idx, ok := hostDisk(n, dev)
	if !ok {
		return nil, errf("no such block device '%s'", dev)
	}
	if idx == 0 || n.DiskUse[dev] != "" {
		return nil, errf("device '%s' is already in use", dev)
	}
	if aerr := c.rados(n); aerr != nil {
		return nil, aerr
	}
	class := q.str("crush-device-class")
	if class == "" {
		class = n.Info.Disks[idx].Type
	}
	name := strings.TrimPrefix(dev, "/dev/")
	n.DiskUse[dev] = "osd-creating"
	t := c.newTask(n, "cephcreateosd", name, q.who, simcore.OpCephDaemon)
	t.Kind, t.Args = "cephosd", map[string]string{"dev": dev, "class": class}
	t.logf("create OSD on %s (bluestore)", dev)
	t.logf("wiping block device %s", dev)
	return t.UPID, nil
}

func (c *Cluster) applyCephOSD(n *node, t *task) {
	cc := n.db.Ceph
	dev := t.Args["dev"]
	idx, ok := hostDisk(n, dev)
	if cc == nil || !ok {
		delete(n.DiskUse, dev)
		t.Err = "pveceph configuration not initialized"
		return
	}
	used := map[int]bool{}
	for _, o := range cc.OSDs {
		used[o.ID] = true
	}
	id := 0
	for used[id] {
		id++
	}
	cc.OSDs = append(cc.OSDs, &cephOSD{ID: id, Host: n.Info.Hostname, Dev: dev, Class: t.Args["class"], Bytes: n.Info.Disks[idx].Bytes})
	n.DiskUse[dev] = "osd." + strconv.Itoa(id)
	if cc.bucket(n.Info.Hostname) == nil {
		cc.Buckets = append(cc.Buckets, &crushBucket{ID: cc.nextBucketID(), Name: n.Info.Hostname, Type: "host", Parent: "default"})
	}
	cc.Epoch++
	cc.LastChange = c.env.Now()
	t.logf("Created osd.%d", id)
}

// osdTree is GET /nodes/{node}/ceph/osd: the CRUSH tree as PVE nests it.
func (c *Cluster) osdTree(q *call) (any, error) {
	cc, aerr := c.cephReady(q.node, "mon")
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.rados(q.node); aerr != nil {
		return nil, aerr
	}
	var roots []any
	for _, b := range cc.Buckets {
		if b.Parent == "" {
			roots = append(roots, c.treeNode(q.node.db, b))
		}
	}
	return map[string]any{"root": map[string]any{"leaf": 0, "children": roots},
		"flags": "sortbitwise,recovery_deletes,purged_snapdirs,pglog_hardlimit"}, nil
}

func (c *Cluster) treeNode(db *confDB, b *crushBucket) map[string]any {
	cc := db.Ceph
	e := map[string]any{"id": b.ID, "name": b.Name, "type": b.Type, "leaf": 0}
	children := []any{}
	for _, child := range cc.Buckets {
		if child.Parent == b.Name {
			children = append(children, c.treeNode(db, child))
		}
	}
	if b.Type == "host" {
		for _, o := range cc.OSDs {
			if o.Host == b.Name {
				children = append(children, c.osdLeaf(db, o))
			}
		}
	}
	if len(children) > 0 {
		e["children"] = children
	}
	return e
}

func (c *Cluster) osdLeaf(db *confDB, o *cephOSD) map[string]any {
	status := "down"
	if c.osdUp(db, o) {
		status = "up"
	}
	return map[string]any{"id": o.ID, "name": "osd." + strconv.Itoa(o.ID), "type": "osd", "leaf": 1, "host": o.Host,
		"status": status, "in": 1, "crush_weight": tib(o.Bytes), "reweight": 1, "device_class": o.Class,
		"osdtype": "bluestore", "blfsdev": o.Dev, "total_space": o.Bytes, "bytes_used": o.Bytes / 100,
		"percent_used": 1.0, "commit_latency_ms": 0, "apply_latency_ms": 0, "ceph_version_short": shortVersion(db.Ceph.Release)}
}

// diskList is GET /nodes/{node}/disks/list.
func (c *Cluster) diskList(q *call) (any, error) {
	n := q.node
	out := []map[string]any{}
	for i, d := range n.Info.Disks {
		e := map[string]any{"devpath": d.Device, "size": d.Bytes, "type": d.Type, "gpt": 1, "mounted": 0,
			"osdid": -1, "osdid-list": []int{}, "health": "PASSED", "model": "SIMULATED " + strings.ToUpper(d.Type),
			"serial": strings.ToUpper(hexID(n.label(), d.Device)[:12]), "wwn": "unknown", "rpm": 0, "vendor": "unknown"}
		if i == 0 {
			e["used"], e["mounted"] = "partitions", 1
		}
		if u := n.DiskUse[d.Device]; strings.HasPrefix(u, "osd.") {
			id, _ := strconv.Atoi(strings.TrimPrefix(u, "osd."))
			e["used"], e["osdid"], e["osdid-list"] = "LVM", id, []int{id}
		}
		if d.Type == "hdd" {
			e["rpm"] = 7200
		}
		out = append(out, e)
	}
	return out, nil
}

// rbdUsage is an RBD storage's state: active when its pool exists and the
// monitors have quorum; capacity is raw OSD space over the pool size.
func (c *Cluster) rbdUsage(n *node, s *storageCfg) (bool, int64, int64) {
	cc := n.db.Ceph
	if cc == nil || !c.monQuorum(n.db) {
		return false, 0, 0
	}
	p := cc.pool(s.Opts["pool"])
	if p == nil {
		return false, 0, 0
	}
	var raw int64
	for _, o := range cc.OSDs {
		raw += o.Bytes
	}
	return true, raw / int64(max(p.Size, 1)), c.imagesBytes(n, s.ID)
}
