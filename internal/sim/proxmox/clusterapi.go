package proxmox

import (
	"sort"
	"strconv"
	"strings"
)

func (c *Cluster) clusterRoutes() []route {
	return []route{
		{"GET /{$}", false, permAll, spec(), apiIndex},
		{"GET /nodes", false, permAll, spec(), c.listNodes},
		{"GET /nodes/{node}/status", false, privCheck("/nodes/{node}", "Sys.Audit"), spec(), c.nodeStatus},
		{"GET /cluster/status", false, privCheck("/", "Sys.Audit"), spec(), c.clusterStatus},
		{"GET /cluster/resources", false, permAll, spec("type"), c.resources},
		{"GET /cluster/nextid", false, permAll, spec("vmid"), c.nextID},
		{"GET /cluster/ha/resources/{sid}", false, privCheck("/", "Sys.Audit"), spec(), c.haResource},
		{"DELETE /cluster/ha/resources/{sid}", true, privCheck("/", "Sys.Console"), spec("purge"), c.haResource},
	}
}

// apiIndex is GET /api2/json/: the API's top-level directories.
func apiIndex(*call) (any, error) {
	var out []map[string]any
	for _, d := range []string{"version", "cluster", "nodes", "storage", "access", "pools"} {
		out = append(out, map[string]any{"subdir": d})
	}
	return out, nil
}

// members lists the nodes the answering node knows: itself when standalone,
// else every corosync member, present or not.
func (c *Cluster) members(local *node) []string {
	if names := local.db.memberNames(); names != nil {
		return names
	}
	return []string{local.Info.Hostname}
}

// quorate is corosync's verdict: online votes exceed half of all votes.
func (c *Cluster) quorate(db *confDB) bool {
	if db.Corosync == nil {
		return true
	}
	total, online := 0, 0
	for _, m := range db.Corosync.Members {
		total += m.Votes
		if c.online(m.Name) && c.nodes[m.Name].db == db {
			online += m.Votes
		}
	}
	return online*2 > total
}

// memUsed is what the host's own status reports as used memory.
func (c *Cluster) memUsed(n *node) int64 {
	used := c.HostReserveMiB << 20
	for _, u := range n.DiskUse {
		if strings.HasPrefix(u, "osd.") {
			used += c.OSDMemoryMiB << 20
		}
	}
	for _, v := range n.db.VMs {
		if v.Node == n.Info.Hostname && v.Status == "running" {
			used += int64(v.memoryMiB()) << 20
		}
	}
	return min(used, n.Info.MemoryBytes)
}

func (c *Cluster) nodeEntry(name string, withFP bool) map[string]any {
	e := map[string]any{"node": name, "id": "node/" + name, "type": "node", "level": "", "status": "offline"}
	n := c.nodes[name]
	if n != nil && withFP {
		e["ssl_fingerprint"] = n.Cert.fingerprint()
	}
	if n == nil || !c.online(name) {
		return e
	}
	e["status"] = "online"
	e["uptime"] = int64(c.env.Now().Sub(n.Info.InstalledAt).Seconds())
	e["maxcpu"] = n.Info.Threads
	e["cpu"] = 0.01 + 0.002*float64(len(n.runningVMs()))
	e["maxmem"] = n.Info.MemoryBytes
	e["mem"] = c.memUsed(n)
	e["maxdisk"], e["disk"] = rootfs(n)
	return e
}

// rootfs is the root file system's size and usage on the system disk.
func rootfs(n *node) (total, used int64) {
	total = 100 << 30
	if len(n.Info.Disks) > 0 && n.Info.Disks[0].Bytes/4 < total {
		total = n.Info.Disks[0].Bytes / 4
	}
	return total, total/20 + int64(len(n.Content))<<20
}

func (n *node) runningVMs() []*vm {
	var out []*vm
	for _, id := range n.db.vmIDs() {
		if v := n.db.VMs[id]; v.Node == n.Info.Hostname && v.Status == "running" {
			out = append(out, v)
		}
	}
	return out
}

func (c *Cluster) listNodes(q *call) (any, error) {
	out := []map[string]any{}
	for _, name := range c.members(q.local) {
		out = append(out, c.nodeEntry(name, true))
	}
	return out, nil
}

func (c *Cluster) nodeStatus(q *call) (any, error) {
	n := q.node
	total, used := rootfs(n)
	mem := c.memUsed(n)
	cores := max(n.Info.Threads/2, 1)
	return map[string]any{
		"uptime": int64(q.now.Sub(n.Info.InstalledAt).Seconds()), "idle": 0, "wait": 0.0001,
		"cpu":       0.01 + 0.002*float64(len(n.runningVMs())),
		"loadavg":   []string{"0.12", "0.09", "0.05"},
		"kversion":  "Linux 6.8.12-9-pve #1 SMP PREEMPT_DYNAMIC PMX 6.8.12-9 (2025-03-16T19:18Z)",
		"cpuinfo":   map[string]any{"cores": cores, "cpus": n.Info.Threads, "sockets": 1, "model": "AMD EPYC 7313P 16-Core Processor", "mhz": "3000.000", "hvm": "1", "user_hz": 100},
		"memory":    map[string]any{"total": n.Info.MemoryBytes, "used": mem, "free": n.Info.MemoryBytes - mem, "available": n.Info.MemoryBytes - mem},
		"swap":      map[string]any{"total": 8 << 30, "used": 0, "free": 8 << 30},
		"ksm":       map[string]any{"shared": 0},
		"rootfs":    map[string]any{"total": total, "used": used, "free": total - used, "avail": total - used},
		"boot-info": map[string]any{"mode": "efi", "secureboot": 0},
		"current-kernel": map[string]any{"sysname": "Linux", "release": "6.8.12-9-pve", "machine": "x86_64",
			"version": "#1 SMP PREEMPT_DYNAMIC PMX 6.8.12-9 (2025-03-16T19:18Z)"},
		"pveversion": "pve-manager/" + c.Version + "/" + c.repoID(),
	}, nil
}

func (c *Cluster) clusterStatus(q *call) (any, error) {
	db := q.local.db
	out := []map[string]any{}
	if cs := db.Corosync; cs != nil {
		out = append(out, map[string]any{"type": "cluster", "id": "cluster", "name": cs.Name, "version": cs.Version,
			"quorate": b01(c.quorate(db)), "nodes": len(cs.Members)})
		for _, m := range cs.Members {
			out = append(out, map[string]any{"type": "node", "id": "node/" + m.Name, "name": m.Name, "nodeid": m.NodeID,
				"ip": m.IP, "online": b01(c.online(m.Name)), "local": b01(m.Name == q.local.Info.Hostname), "level": ""})
		}
		return out, nil
	}
	n := q.local
	return append(out, map[string]any{"type": "node", "id": "node/" + n.Info.Hostname, "name": n.Info.Hostname,
		"nodeid": 0, "ip": n.Info.PublicIP, "online": 1, "local": 1, "level": ""}), nil
}

func (c *Cluster) resources(q *call) (any, error) {
	typ := q.str("type")
	if typ != "" && typ != "vm" && typ != "node" && typ != "storage" && typ != "sdn" && typ != "pool" {
		return nil, paramErr(map[string]string{"type": "value '" + typ + "' does not have a value in the enumeration 'vm, storage, node, sdn'"})
	}
	out := []map[string]any{}
	db := q.local.db
	if typ == "" || typ == "vm" {
		for _, id := range db.vmIDs() {
			out = append(out, c.vmResource(db.VMs[id]))
		}
	}
	if typ == "" || typ == "node" {
		for _, name := range c.members(q.local) {
			e := c.nodeEntry(name, false)
			if e["status"] == "online" {
				e["cgroup-mode"] = 2
			}
			out = append(out, e)
		}
	}
	if typ == "" || typ == "storage" {
		for _, name := range c.members(q.local) {
			for _, sid := range db.storageIDs() {
				if s := db.Storage[sid]; s.onNode(name) {
					out = append(out, c.storageResource(name, s))
				}
			}
		}
	}
	return out, nil
}

// nextID is GET /cluster/nextid: a string, as Telmate asserts.
func (c *Cluster) nextID(q *call) (any, error) {
	db := q.local.db
	if v := q.str("vmid"); v != "" {
		id, err := strconv.Atoi(v)
		if err != nil || id < 100 || id > 999999999 {
			return nil, paramErr(map[string]string{"vmid": "value must have a minimum value of 100"})
		}
		if db.VMs[id] != nil {
			return nil, paramErr(map[string]string{"vmid": "VM " + v + " already exists"})
		}
		return v, nil
	}
	ids := db.vmIDs()
	sort.Ints(ids)
	next := 100
	for _, id := range ids {
		if id == next {
			next++
		}
	}
	return strconv.Itoa(next), nil
}

func (c *Cluster) haResource(q *call) (any, error) {
	sid := q.r.PathValue("sid")
	if _, err := strconv.Atoi(sid); err == nil {
		sid = "vm:" + sid
	}
	return nil, errf("no such resource '%s'", sid)
}
