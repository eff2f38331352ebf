package proxmox

import (
	"sort"
	"strings"
	"time"
)

// volume is a file on a node-local storage (an ISO in local:iso/...).
type volume struct {
	VolID   string    `json:"volid"`
	Format  string    `json:"format"`
	Content string    `json:"content"`
	Size    int64     `json:"size"`
	CTime   time.Time `json:"ctime"`
	SHA256  string    `json:"sha256,omitempty"`
}

var storageTypes = map[string]bool{"btrfs": true, "cephfs": true, "cifs": true, "dir": true, "esxi": true, "iscsi": true,
	"iscsidirect": true, "lvm": true, "lvmthin": true, "nfs": true, "pbs": true, "rbd": true, "zfs": true, "zfspool": true}

// storageOptions are the storage.cfg keys the simulator keeps verbatim.
var storageOptions = []string{"content", "path", "pool", "krbd", "nodes", "disable", "shared", "thinpool", "vgname",
	"monhost", "username", "server", "export", "data-pool", "namespace", "mkdir", "is_mountpoint", "prune-backups", "fs-name"}

func (c *Cluster) storageRoutes() []route {
	editSpec := spec(append(append([]string{}, storageOptions...), "delete", "digest", "krbd", "keyring", "fingerprint", "bwlimit", "preallocation")...)
	createSpec := spec(append(append([]string{"storage!", "type!"}, storageOptions...), "keyring", "fingerprint", "bwlimit", "preallocation", "create-base-path", "create-subdirs", "sparse")...)
	return []route{
		{"GET /storage", false, permAll, spec("type"), c.listStorage},
		{"POST /storage", true, privCheck("/storage", "Datastore.Allocate"), createSpec, c.createStorage},
		{"GET /storage/{storage}", false, privCheck("/storage/{storage}", "Datastore.Allocate"), spec(), c.getStorage},
		{"PUT /storage/{storage}", true, privCheck("/storage/{storage}", "Datastore.Allocate"), editSpec, c.updateStorage},
		{"DELETE /storage/{storage}", true, privCheck("/storage/{storage}", "Datastore.Allocate"), spec(), c.deleteStorage},
		{"GET /nodes/{node}/storage", false, permAll, spec("content", "enabled", "format", "storage", "target"), c.nodeStorage},
		{"GET /nodes/{node}/storage/{storage}/status", false, privCheck("/storage/{storage}", "Datastore.Audit"), spec(), c.storageStatusAPI},
		{"GET /nodes/{node}/storage/{storage}/content", false, privCheck("/storage/{storage}", "Datastore.Audit"), spec("content", "vmid"), c.storageContent},
		{"POST /nodes/{node}/storage/{storage}/download-url", true, privCheck("/storage/{storage}", "Datastore.AllocateTemplate"),
			spec("url!", "filename!", "content!", "checksum", "checksum-algorithm", "verify-certificates", "compression"), c.downloadURL},
		{"GET /nodes/{node}/disks/list", false, privCheck("/nodes/{node}", "Sys.Audit"), spec("include-partitions", "skipsmart", "type"), c.diskList},
	}
}

func storageJSON(db *confDB, s *storageCfg) map[string]any {
	e := map[string]any{"storage": s.ID, "type": s.Type, "digest": hexID("storage.cfg", db.ID, itoa(db.Rev))[:40]}
	for k, v := range s.Opts {
		e[k] = v
	}
	if s.shared() && s.Type != "rbd" {
		e["shared"] = 1
	}
	return e
}

func (c *Cluster) listStorage(q *call) (any, error) {
	db := q.local.db
	out := []map[string]any{}
	for _, id := range db.storageIDs() {
		if s := db.Storage[id]; q.str("type") == "" || q.str("type") == s.Type {
			out = append(out, storageJSON(db, s))
		}
	}
	return out, nil
}

func (c *Cluster) getStorage(q *call) (any, error) {
	s := q.local.db.Storage[q.r.PathValue("storage")]
	if s == nil {
		return nil, errf("storage '%s' does not exist", q.r.PathValue("storage"))
	}
	return storageJSON(q.local.db, s), nil
}

// addStorage registers a storage.cfg section; ceph pool creation with
// add_storages uses it too.
func addStorage(db *confDB, id, typ string, opts map[string]string) *apiError {
	if db.Storage[id] != nil {
		return errf("storage ID '%s' already defined", id)
	}
	if !storageTypes[typ] {
		return paramErr(map[string]string{"type": "value '" + typ + "' does not have a value in the enumeration 'btrfs, cephfs, cifs, dir, esxi, iscsi, iscsidirect, lvm, lvmthin, nfs, pbs, rbd, zfs, zfspool'"})
	}
	if opts["content"] == "" {
		opts["content"] = map[string]string{"rbd": "images", "dir": "vztmpl,iso,backup", "lvmthin": "images,rootdir"}[typ]
	}
	if typ == "dir" && opts["path"] == "" {
		return paramErr(map[string]string{"path": "property is missing and it is not optional"})
	}
	if typ == "rbd" && opts["pool"] == "" {
		opts["pool"] = "rbd"
	}
	db.Storage[id] = &storageCfg{ID: id, Type: typ, Opts: opts}
	db.Rev++
	return nil
}

func (c *Cluster) createStorage(q *call) (any, error) {
	opts := map[string]string{}
	for _, k := range storageOptions {
		if q.has(k) {
			opts[k] = q.str(k)
		}
	}
	id, typ := q.str("storage"), q.str("type")
	if aerr := addStorage(q.local.db, id, typ, opts); aerr != nil {
		return nil, aerr
	}
	return map[string]any{"storage": id, "type": typ}, nil
}

func (c *Cluster) updateStorage(q *call) (any, error) {
	s := q.local.db.Storage[q.r.PathValue("storage")]
	if s == nil {
		return nil, errf("storage '%s' does not exist", q.r.PathValue("storage"))
	}
	for _, k := range strings.Split(q.str("delete"), ",") {
		delete(s.Opts, strings.TrimSpace(k))
	}
	for _, k := range storageOptions {
		if q.has(k) && k != "path" && k != "pool" {
			s.Opts[k] = q.str(k)
		}
	}
	q.local.db.Rev++
	return map[string]any{"storage": s.ID, "type": s.Type}, nil
}

func (c *Cluster) deleteStorage(q *call) (any, error) {
	id := q.r.PathValue("storage")
	if q.local.db.Storage[id] == nil {
		return nil, errf("storage '%s' does not exist", id)
	}
	delete(q.local.db.Storage, id)
	q.local.db.Rev++
	return nil, nil
}

// storageUsage computes a storage's state on a node: active, total, used.
func (c *Cluster) storageUsage(n *node, s *storageCfg) (active bool, total, used int64) {
	switch s.Type {
	case "rbd":
		return c.rbdUsage(n, s)
	case "lvmthin", "lvm", "zfspool":
		if len(n.Info.Disks) > 0 {
			total = n.Info.Disks[0].Bytes * 7 / 10
		}
		return true, total, c.imagesBytes(n, s.ID)
	case "dir":
		total, used = rootfs(n)
		for _, v := range n.Content[s.ID] {
			used += v.Size
		}
		return true, total, used
	}
	return false, 0, 0
}

func (c *Cluster) storageResource(nodeName string, s *storageCfg) map[string]any {
	e := map[string]any{"id": "storage/" + nodeName + "/" + s.ID, "type": "storage", "storage": s.ID, "node": nodeName,
		"plugintype": s.Type, "shared": b01(s.shared()), "content": s.Opts["content"], "status": "unknown"}
	if n := c.nodes[nodeName]; n != nil && c.online(nodeName) {
		if active, total, used := c.storageUsage(n, s); active {
			e["status"], e["maxdisk"], e["disk"] = "available", total, used
		}
	}
	return e
}

func (c *Cluster) storageEntry(n *node, s *storageCfg) map[string]any {
	active, total, used := c.storageUsage(n, s)
	e := map[string]any{"storage": s.ID, "type": s.Type, "content": s.Opts["content"], "enabled": 1,
		"active": b01(active), "shared": b01(s.shared())}
	if active {
		e["total"], e["used"], e["avail"] = total, used, total-used
		if total > 0 {
			e["used_fraction"] = float64(used) / float64(total)
		}
	}
	return e
}

func (c *Cluster) nodeStorage(q *call) (any, error) {
	db := q.node.db
	out := []map[string]any{}
	for _, id := range db.storageIDs() {
		s := db.Storage[id]
		if !s.onNode(q.node.Info.Hostname) || (q.str("storage") != "" && q.str("storage") != id) {
			continue
		}
		if ct := q.str("content"); ct != "" && !s.contents()[ct] {
			continue
		}
		e := c.storageEntry(q.node, s)
		if q.boolOr("enabled", false) && e["active"] != 1 {
			continue
		}
		if q.has("format") {
			e["formats"] = map[string]any{"default": "raw", "supported": []string{"raw"}}
		}
		out = append(out, e)
	}
	return out, nil
}

// nodeStorageCfg finds a storage usable on a node, or PVE's error for it.
func nodeStorageCfg(n *node, id string) (*storageCfg, *apiError) {
	s := n.db.Storage[id]
	if s == nil {
		return nil, errf("storage '%s' does not exist", id)
	}
	if !s.onNode(n.Info.Hostname) {
		return nil, errf("storage '%s' is not available on node '%s'", id, n.Info.Hostname)
	}
	return s, nil
}

func (c *Cluster) storageStatusAPI(q *call) (any, error) {
	s, aerr := nodeStorageCfg(q.node, q.r.PathValue("storage"))
	if aerr != nil {
		return nil, aerr
	}
	return c.storageEntry(q.node, s), nil
}

func (c *Cluster) storageContent(q *call) (any, error) {
	s, aerr := nodeStorageCfg(q.node, q.r.PathValue("storage"))
	if aerr != nil {
		return nil, aerr
	}
	if active, _, _ := c.storageUsage(q.node, s); !active {
		return nil, errf("storage '%s' is not online", s.ID)
	}
	out := []map[string]any{}
	vols := q.node.Content[s.ID]
	ids := make([]string, 0, len(vols))
	for id := range vols {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		v := vols[id]
		if ct := q.str("content"); ct == "" || ct == v.Content {
			out = append(out, map[string]any{"volid": v.VolID, "format": v.Format, "content": v.Content, "size": v.Size, "ctime": v.CTime.Unix()})
		}
	}
	if ct := q.str("content"); ct == "" || ct == "images" {
		out = append(out, c.imageVolumes(q.node, s, q.intOr("vmid", 0))...)
	}
	return out, nil
}
