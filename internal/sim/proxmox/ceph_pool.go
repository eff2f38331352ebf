package proxmox

import (
	"regexp"
	"strconv"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

var poolNameRe = regexp.MustCompile(`^[^:/\s]+$`)

// createPool is POST /nodes/{node}/ceph/pool. It needs PVE quorum (the
// storage.cfg it may write is cluster-wide) and a reachable Ceph; the pool
// and, with add_storages, an rbd storage of the same name appear when the
// cephcreatepool task ends.
func (c *Cluster) createPool(q *call) (any, error) {
	n := q.node
	cc, aerr := c.cephReady(n, "mon")
	if aerr != nil {
		return nil, aerr
	}
	name := q.str("name")
	if !poolNameRe.MatchString(name) {
		return nil, paramErr(map[string]string{"name": "value does not match the regex pattern"})
	}
	size, minSize := q.intOr("size", 3), q.intOr("min_size", 2)
	if size < 1 || size > 7 || minSize < 1 || minSize > 7 {
		return nil, paramErr(map[string]string{"size": "value must have a minimum value of 1 and a maximum of 7"})
	}
	if !c.quorate(n.db) {
		return nil, errf("cluster not ready - no quorum?")
	}
	if len(cc.Mons) == 0 {
		return nil, errf("ceph not fully configured - missing '/etc/pve/priv/ceph.client.admin.keyring'")
	}
	if aerr := c.rados(n); aerr != nil {
		return nil, aerr
	}
	t := c.newTask(n, "cephcreatepool", name, q.who, simcore.OpCephPool)
	rule := q.str("crush_rule")
	if rule == "" {
		rule = "replicated_rule"
	}
	app := q.str("application")
	if app == "" {
		app = "rbd"
	}
	mode := q.str("pg_autoscale_mode")
	if mode == "" {
		mode = "warn"
	}
	t.logf("pool %s: applying size = %d", name, size)
	t.logf("pool %s: applying application = %s", name, app)
	t.logf("pool %s: applying crush_rule = %s", name, rule)
	t.logf("pool %s: applying min_size = %d", name, minSize)
	switch {
	case cc.pool(name) != nil:
		return t.fail("pool '" + name + "' already exists").UPID, nil
	case cc.rule(rule) == nil:
		return t.fail("mon_command failed - specified rule " + rule + " doesn't exist").UPID, nil
	case q.boolOr("add_storages", false) && n.db.Storage[name] != nil:
		return t.fail("adding PVE storage for ceph pool '" + name + "' failed: storage ID '" + name + "' already defined").UPID, nil
	}
	t.Kind, t.Args = "cephpool", map[string]string{"name": name, "size": strconv.Itoa(size), "min_size": strconv.Itoa(minSize),
		"pg_num": strconv.Itoa(q.intOr("pg_num", 128)), "rule": rule, "app": app, "mode": mode,
		"add_storages": strconv.Itoa(b01(q.boolOr("add_storages", false)))}
	return t.UPID, nil
}

func (c *Cluster) applyCephPool(n *node, t *task) {
	cc := n.db.Ceph
	if cc == nil || cc.pool(t.Args["name"]) != nil {
		t.Err = "pool '" + t.Args["name"] + "' already exists"
		return
	}
	size, _ := strconv.Atoi(t.Args["size"])
	minSize, _ := strconv.Atoi(t.Args["min_size"])
	pgNum, _ := strconv.Atoi(t.Args["pg_num"])
	rule := cc.rule(t.Args["rule"])
	if rule == nil {
		t.Err = "mon_command failed - specified rule " + t.Args["rule"] + " doesn't exist"
		return
	}
	cc.Pools = append(cc.Pools, &cephPool{ID: c.nextPoolID(cc), Name: t.Args["name"], Size: size, MinSize: minSize,
		PGNum: pgNum, Rule: rule.ID, App: t.Args["app"], Autoscale: t.Args["mode"], Created: c.env.Now()})
	cc.Epoch++
	cc.LastChange = c.env.Now()
	if t.Args["add_storages"] == "1" {
		opts := map[string]string{"pool": t.Args["name"], "content": "rootdir,images", "krbd": "0"}
		if aerr := addStorage(n.db, t.Args["name"], "rbd", opts); aerr != nil {
			t.Err = "adding PVE storage for ceph pool '" + t.Args["name"] + "' failed: " + aerr.msg
		}
	}
}

func (c *Cluster) listPools(q *call) (any, error) {
	cc, aerr := c.cephReady(q.node, "mon")
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.rados(q.node); aerr != nil {
		return nil, aerr
	}
	out := []map[string]any{}
	for _, p := range cc.Pools {
		stored := c.poolStored(q.node.db, p)
		r := cc.ruleByID(p.Rule)
		out = append(out, map[string]any{"pool": p.ID, "pool_name": p.Name, "size": p.Size, "min_size": p.MinSize,
			"pg_num": p.PGNum, "pg_num_final": p.PGNum, "pg_autoscale_mode": p.Autoscale, "crush_rule": r.ID,
			"crush_rule_name": r.Name, "type": "replicated", "bytes_used": stored * int64(p.Size),
			"percent_used":         float64(stored) / float64(max(c.rawBytes(cc), 1)),
			"application_metadata": map[string]any{p.App: map[string]any{}},
			"autoscale_status":     map[string]any{"pool_name": p.Name, "pg_num_target": p.PGNum, "would_adjust": false}})
	}
	return out, nil
}

func (c *Cluster) getPool(q *call) (any, error) {
	cc, aerr := c.cephReady(q.node, "mon")
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.rados(q.node); aerr != nil {
		return nil, aerr
	}
	p := cc.pool(q.r.PathValue("name"))
	if p == nil {
		return nil, errf("mon_command failed - unrecognized pool '%s'", q.r.PathValue("name"))
	}
	return map[string]any{"id": p.ID, "name": p.Name, "pool": p.ID, "size": p.Size, "min_size": p.MinSize,
		"pg_num": p.PGNum, "pgp_num": p.PGNum, "crush_rule": cc.ruleByID(p.Rule).Name, "application": p.App,
		"application_list": []string{p.App}, "pg_autoscale_mode": p.Autoscale, "fast_read": 0, "hashpspool": 1,
		"nodelete": 0, "nopgchange": 0, "nosizechange": 0, "noscrub": 0, "nodeep-scrub": 0, "use_gmt_hitset": 1,
		"write_fadvise_dontneed": 0, "target_size": 0, "target_size_ratio": 0}, nil
}

// poolStored is the data a pool holds: its RBD images, thin-provisioned
// (a fresh guest writes a small share of its disk).
func (c *Cluster) poolStored(db *confDB, p *cephPool) int64 {
	var stored int64
	for _, sid := range db.storageIDs() {
		if s := db.Storage[sid]; s.Type == "rbd" && s.Opts["pool"] == p.Name {
			for _, id := range db.vmIDs() {
				for _, d := range db.VMs[id].disks() {
					if len(d.volid) > len(sid) && d.volid[:len(sid)+1] == sid+":" {
						stored += d.size / 20
					}
				}
			}
		}
	}
	return stored
}

func (c *Cluster) rawBytes(cc *cephCluster) int64 {
	var raw int64
	for _, o := range cc.OSDs {
		raw += o.Bytes
	}
	return raw
}
