package proxmox

import (
	"net"
	"strconv"
	"strings"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

var cephBinaries = map[string]string{"ceph": "/usr/bin/ceph", "mon": "/usr/bin/ceph-mon", "mgr": "/usr/bin/ceph-mgr", "osd": "/usr/bin/ceph-osd"}

func (c *Cluster) cephRoutes() []route {
	audit := privCheck("/", "Sys.Audit")
	modify := privCheck("/", "Sys.Modify")
	return []route{
		{"POST /nodes/{node}/ceph/init", true, modify, spec("network", "cluster-network", "size", "min_size", "pg_bits", "disable_cephx"), c.cephInit},
		{"GET /nodes/{node}/ceph/mon", false, audit, spec(), c.listMons},
		{"POST /nodes/{node}/ceph/mon/{monid}", true, modify, spec("mon-address"), c.createMon},
		{"GET /nodes/{node}/ceph/mgr", false, audit, spec(), c.listMgrs},
		{"POST /nodes/{node}/ceph/mgr/{id}", true, modify, spec(), c.createMgr},
		{"GET /nodes/{node}/ceph/osd", false, audit, spec(), c.osdTree},
		{"POST /nodes/{node}/ceph/osd", true, permRoot, spec("dev!", "db_dev", "db_dev_size", "wal_dev", "wal_dev_size", "encrypted", "crush-device-class", "osds-per-device"), c.createOSD},
		{"GET /nodes/{node}/ceph/pool", false, audit, spec(), c.listPools},
		{"POST /nodes/{node}/ceph/pool", true, modify, spec("name!", "size", "min_size", "pg_num", "pg_num_min", "crush_rule", "application", "pg_autoscale_mode", "add_storages", "erasure-coding", "target_size", "target_size_ratio"), c.createPool},
		{"GET /nodes/{node}/ceph/pool/{name}", false, audit, spec("verbose"), c.getPool},
		{"GET /nodes/{node}/ceph/status", false, audit, spec(), c.cephStatusAPI},
		{"GET /cluster/ceph/status", false, audit, spec(), c.cephStatusAPI},
	}
}

// cephReady is check_ceph_installed + check_ceph_inited for a service.
func (c *Cluster) cephReady(n *node, service string) (*cephCluster, *apiError) {
	if !c.cephInstalled(n) {
		return nil, errf("binary not installed: %s", cephBinaries[service])
	}
	if n.db.Ceph == nil {
		return nil, errf("pveceph configuration not initialized")
	}
	return n.db.Ceph, nil
}

// rados is what connecting to the monitors gives.
func (c *Cluster) rados(n *node) *apiError {
	cc := n.db.Ceph
	if cc == nil || len(cc.Mons) == 0 {
		return errf("rados_connect failed - No such file or directory")
	}
	if !c.monQuorum(n.db) {
		return errf("got timeout")
	}
	return nil
}

// cephInit is POST /nodes/{node}/ceph/init: synchronous, idempotent.
func (c *Cluster) cephInit(q *call) (any, error) {
	n := q.node
	if !c.cephInstalled(n) {
		return nil, errf("Ceph Nautilus required - please run 'pveceph install'")
	}
	for _, k := range []string{"network", "cluster-network"} {
		if v := q.str(k); v != "" {
			if _, _, err := net.ParseCIDR(v); err != nil {
				return nil, paramErr(map[string]string{k: "value does not look like a valid CIDR network"})
			}
		}
	}
	if n.db.Ceph == nil {
		fsid := c.uuid("fsid\x00" + n.db.ID + "\x00" + strconv.FormatInt(q.now.UnixNano(), 10))
		n.db.Ceph = newCephCluster(fsid, q.str("network"), q.str("cluster-network"), n.Ceph.Release,
			q.intOr("size", 3), q.intOr("min_size", 2), q.now)
		n.db.Ceph.DarkSig = c.cephSig(n.db)
	}
	return nil, nil
}

// monIP picks the monitor address: the node's one address in the public
// network, as PVE's find_mon_ips does.
func monIP(n *node, cc *cephCluster, want string) (string, *apiError) {
	if cc.Network == "" {
		if want != "" {
			return want, nil
		}
		return n.Info.PublicIP, nil
	}
	_, pub, _ := net.ParseCIDR(cc.Network)
	var ips []string
	for _, a := range n.Net.addresses() {
		if pub.Contains(a.IP) {
			ips = append(ips, a.IP.String())
		}
	}
	switch {
	case want != "" && !contains(ips, want):
		return "", errf("Specified monitor IP '%s' not configured or up on %s!", want, n.Info.Hostname)
	case want != "":
		return want, nil
	case len(ips) == 0:
		return "", errf("No active IP found for the requested ceph public network '%s' on node '%s'", cc.Network, n.Info.Hostname)
	case len(ips) > 1:
		return "", errf("Multiple IPs for ceph public network '%s' detected on %s:\n%s\nuse 'mon-address' to specify one of them.", cc.Network, n.Info.Hostname, strings.Join(ips, "\n"))
	}
	return ips[0], nil
}

func (c *Cluster) createMon(q *call) (any, error) {
	n := q.node
	cc, aerr := c.cephReady(n, "mon")
	if aerr != nil {
		return nil, aerr
	}
	if len(cc.Mons) > 0 && !c.monQuorum(n.db) {
		return nil, errf("Could not connect to ceph cluster despite configured monitors")
	}
	id := q.r.PathValue("monid")
	ip, aerr := monIP(n, cc, q.str("mon-address"))
	if aerr != nil {
		return nil, aerr
	}
	for _, m := range cc.Mons {
		if m.Addr == ip {
			return nil, errf("monitor address '%s' already in use", ip)
		}
	}
	if cc.Mons[id] != nil {
		return nil, errf("monitor '%s' already exists", id)
	}
	t := c.newTask(n, "cephcreatemon", "mon."+id, q.who, simcore.OpCephDaemon)
	t.Kind, t.Args = "cephmon", map[string]string{"id": id, "addr": ip, "first": strconv.Itoa(b01(len(cc.Mons) == 0))}
	t.logf("creating new monitor keyring")
	t.logf("monmaptool: monmap file /tmp/monmap")
	return t.UPID, nil
}

func (c *Cluster) applyCephMon(n *node, t *task) {
	cc := n.db.Ceph
	if cc == nil {
		t.Err = "pveceph configuration not initialized"
		return
	}
	cc.Mons[t.Args["id"]] = &cephDaemon{Node: n.Info.Hostname, Addr: t.Args["addr"]}
	cc.Epoch++
	if t.Args["first"] == "1" && cc.Mgrs[n.Info.Hostname] == nil {
		c.addMgr(cc, n, n.Info.Hostname)
	}
}

func (c *Cluster) createMgr(q *call) (any, error) {
	n := q.node
	cc, aerr := c.cephReady(n, "mgr")
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.rados(n); aerr != nil {
		return nil, aerr
	}
	id := q.r.PathValue("id")
	if cc.Mgrs[id] != nil {
		return nil, errf("ceph manager directory '/var/lib/ceph/mgr/ceph-%s' already exists", id)
	}
	t := c.newTask(n, "cephcreatemgr", "mgr."+id, q.who, simcore.OpCephDaemon)
	t.Kind, t.Args = "cephmgr", map[string]string{"id": id}
	t.logf("creating manager directory '/var/lib/ceph/mgr/ceph-%s'", id)
	return t.UPID, nil
}

func (c *Cluster) applyCephMgr(n *node, t *task) {
	if cc := n.db.Ceph; cc != nil {
		c.addMgr(cc, n, t.Args["id"])
	}
}

// addMgr registers a manager; the first one creates the .mgr pool, as
// ceph-mgr does on its first start.
func (c *Cluster) addMgr(cc *cephCluster, n *node, id string) {
	addr := n.Info.PublicIP
	if m := cc.Mons[n.Info.Hostname]; m != nil {
		addr = m.Addr
	}
	cc.Mgrs[id] = &cephDaemon{Node: n.Info.Hostname, Addr: addr}
	if cc.pool(".mgr") == nil {
		cc.Pools = append(cc.Pools, &cephPool{ID: c.nextPoolID(cc), Name: ".mgr", Size: cc.Size, MinSize: cc.MinSize,
			PGNum: 1, App: "mgr", Autoscale: "on", Created: c.env.Now()})
		cc.LastChange = c.env.Now()
	}
}

func (c *Cluster) nextPoolID(cc *cephCluster) int {
	id := 0
	for _, p := range cc.Pools {
		id = max(id, p.ID)
	}
	return id + 1
}

func (c *Cluster) listMons(q *call) (any, error) {
	cc, aerr := c.cephReady(q.node, "mon")
	if aerr != nil {
		return nil, aerr
	}
	quorum := c.monQuorum(q.node.db)
	out := []map[string]any{}
	for rank, id := range sortedKeys(cc.Mons) {
		m := cc.Mons[id]
		e := map[string]any{"name": id, "host": m.Node, "addr": m.Addr + ":6789/0", "rank": rank, "service": 1, "direxists": 1,
			"state": "stopped", "ceph_version": cephVersion(cc.Release), "ceph_version_short": shortVersion(cc.Release)}
		if c.daemonUp(q.node.db, m) && quorum {
			e["state"], e["quorum"] = "running", 1
		}
		out = append(out, e)
	}
	return out, nil
}

func (c *Cluster) listMgrs(q *call) (any, error) {
	cc, aerr := c.cephReady(q.node, "mgr")
	if aerr != nil {
		return nil, aerr
	}
	active := c.activeMgr(q.node.db)
	out := []map[string]any{}
	for _, id := range sortedKeys(cc.Mgrs) {
		m := cc.Mgrs[id]
		state := "stopped"
		if id == active {
			state = "active"
		} else if c.daemonUp(q.node.db, m) {
			state = "standby"
		}
		out = append(out, map[string]any{"name": id, "host": m.Node, "addr": m.Addr, "state": state, "direxists": 1, "service": 1})
	}
	return out, nil
}

func (c *Cluster) cephStatusAPI(q *call) (any, error) {
	n := q.node
	if _, aerr := c.cephReady(n, "mon"); aerr != nil {
		return nil, aerr
	}
	if aerr := c.rados(n); aerr != nil {
		return nil, aerr
	}
	return c.cephStatus(n.db), nil
}
