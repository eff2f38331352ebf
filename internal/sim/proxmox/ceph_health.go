package proxmox

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// daemonUp reports whether a daemon's host is a reachable member of the
// PVE cluster that holds this Ceph (a dark datacenter takes its daemons down).
func (c *Cluster) daemonUp(db *confDB, d *cephDaemon) bool {
	n := c.nodes[d.Node]
	return n != nil && n.db == db && c.online(d.Node)
}

func (c *Cluster) osdUp(db *confDB, o *cephOSD) bool {
	return c.daemonUp(db, &cephDaemon{Node: o.Host})
}

// monQuorum: a majority of the monitors is up.
func (c *Cluster) monQuorum(db *confDB) bool {
	cc := db.Ceph
	if cc == nil || len(cc.Mons) == 0 {
		return false
	}
	up := 0
	for _, m := range cc.Mons {
		if c.daemonUp(db, m) {
			up++
		}
	}
	return up*2 > len(cc.Mons)
}

// activeMgr is the manager that is active: the first one up, by name.
func (c *Cluster) activeMgr(db *confDB) string {
	for _, id := range sortedKeys(db.Ceph.Mgrs) {
		if c.daemonUp(db, db.Ceph.Mgrs[id]) {
			return id
		}
	}
	return ""
}

// cephSig summarises which Ceph hosts are reachable; a change restarts the
// settle clock (PGs peer again when a datacenter goes dark or comes back).
func (c *Cluster) cephSig(db *confDB) string {
	hosts := map[string]bool{}
	for _, m := range db.Ceph.Mons {
		hosts[m.Node] = true
	}
	for _, o := range db.Ceph.OSDs {
		hosts[o.Host] = true
	}
	var parts []string
	for _, h := range sortedKeys(hosts) {
		parts = append(parts, fmt.Sprintf("%s=%v", h, c.daemonUp(db, &cephDaemon{Node: h})))
	}
	return strings.Join(parts, ",")
}

func (c *Cluster) settleCeph() {
	seen := map[*confDB]bool{}
	for _, n := range c.nodes {
		db := n.db
		if db.Ceph == nil || seen[db] {
			continue
		}
		seen[db] = true
		if sig := c.cephSig(db); sig != db.Ceph.DarkSig {
			db.Ceph.DarkSig = sig
			db.Ceph.LastChange = c.env.Now()
		}
	}
}

// healthCheck is one entry of `ceph health detail`.
type healthCheck struct {
	Severity string
	Message  string
	Count    int
}

// cephHealthReport is the computed health: checks and PG states.
type cephHealthReport struct {
	Status   string
	Checks   map[string]healthCheck
	PGStates map[string]int
	OSDsUp   int
}

// cephHealth derives HEALTH_OK/WARN from the maps: monitor quorum, managers,
// OSDs up, and whether each pool's rule can place size replicas in distinct
// failure domains with OSDs up, once PGs have settled after the last change.
func (c *Cluster) cephHealth(db *confDB) cephHealthReport {
	cc := db.Ceph
	r := cephHealthReport{Checks: map[string]healthCheck{}, PGStates: map[string]int{}}
	warn := func(name, msg string, count int) { r.Checks[name] = healthCheck{"HEALTH_WARN", msg, count} }
	var upMons, downMons []string
	for _, id := range sortedKeys(cc.Mons) {
		if c.daemonUp(db, cc.Mons[id]) {
			upMons = append(upMons, id)
		} else {
			downMons = append(downMons, id)
		}
	}
	if len(downMons) > 0 {
		warn("MON_DOWN", fmt.Sprintf("%d/%d mons down, quorum %s", len(downMons), len(cc.Mons), strings.Join(upMons, ",")), len(downMons))
	}
	if len(cc.Mgrs) > 0 && c.activeMgr(db) == "" {
		warn("MGR_DOWN", "no active mgr", 1)
	}
	c.osdChecks(db, &r, warn)
	if len(cc.OSDs) < cc.Size {
		warn("TOO_FEW_OSDS", fmt.Sprintf("OSD count %d < osd_pool_default_size %d", len(cc.OSDs), cc.Size), 1)
	}
	c.pgChecks(db, &r, warn)
	r.Status = "HEALTH_OK"
	if len(r.Checks) > 0 {
		r.Status = "HEALTH_WARN"
	}
	return r
}

func (c *Cluster) osdChecks(db *confDB, r *cephHealthReport, warn func(string, string, int)) {
	down := 0
	downHosts := map[string]int{}
	for _, o := range db.Ceph.OSDs {
		if c.osdUp(db, o) {
			r.OSDsUp++
			continue
		}
		down++
		downHosts[o.Host]++
	}
	if down == 0 {
		return
	}
	warn("OSD_DOWN", fmt.Sprintf("%d osds down", down), down)
	warn("OSD_HOST_DOWN", fmt.Sprintf("%d host (%d osds) down", len(downHosts), down), len(downHosts))
	dcs := map[string]bool{}
	for h := range downHosts {
		for _, b := range db.Ceph.ancestors(h) {
			if b.Type == "datacenter" {
				dcs[b.Name] = true
			}
		}
	}
	if len(dcs) > 0 {
		warn("OSD_DATACENTER_DOWN", fmt.Sprintf("%d datacenter (%d osds) down", len(dcs), down), len(dcs))
	}
}

// placement counts, for a pool, the failure domains with an OSD at all and
// with an OSD up.
func (c *Cluster) placement(db *confDB, p *cephPool) (domains, upDomains int) {
	cc := db.Ceph
	rule := cc.ruleByID(p.Rule)
	all, up := map[string]bool{}, map[string]bool{}
	for _, o := range cc.OSDs {
		if rule.Class != "" && o.Class != rule.Class {
			continue
		}
		if d := cc.domainOf(o, rule.Root, rule.Domain); d != nil {
			all[d.Name] = true
			if c.osdUp(db, o) {
				up[d.Name] = true
			}
		}
	}
	return len(all), len(up)
}

func (c *Cluster) pgChecks(db *confDB, r *cephHealthReport, warn func(string, string, int)) {
	cc := db.Ceph
	settling := !c.env.Done(cc.LastChange, simcore.OpCephSettle, cc.FSID)
	inactive, undersized, peering := 0, 0, 0
	for _, p := range cc.Pools {
		domains, up := c.placement(db, p)
		state := "active+clean"
		switch {
		case domains == 0:
			state = "unknown"
			inactive += p.PGNum
		case settling:
			state = "peering"
			peering += p.PGNum
		case up < p.MinSize:
			state = "undersized+peered"
			inactive += p.PGNum
			undersized += p.PGNum
		case up < p.Size:
			state = "active+undersized"
			undersized += p.PGNum
		}
		r.PGStates[state] += p.PGNum
	}
	switch {
	case inactive > 0:
		warn("PG_AVAILABILITY", fmt.Sprintf("Reduced data availability: %d pgs inactive", inactive), inactive)
	case peering > 0:
		warn("PG_AVAILABILITY", fmt.Sprintf("Reduced data availability: %d pgs peering", peering), peering)
	}
	if undersized > 0 {
		warn("PG_DEGRADED", fmt.Sprintf("Degraded data redundancy: %d pgs undersized", undersized), undersized)
	}
}

func (r cephHealthReport) checkNames() []string {
	names := make([]string, 0, len(r.Checks))
	for k := range r.Checks {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
