package proxmox

import (
	"fmt"
	"sort"
	"time"
)

const cephTime = "2006-01-02T15:04:05.000000Z"

// cephStatus renders `ceph status --format json` (with the health detail
// PVE merges in) in the shape of a real cluster's output.
func (c *Cluster) cephStatus(db *confDB) map[string]any {
	cc := db.Ceph
	h := c.cephHealth(db)
	now := c.env.Now()
	checks := map[string]any{}
	for _, name := range h.checkNames() {
		ck := h.Checks[name]
		checks[name] = map[string]any{"severity": ck.Severity, "summary": map[string]any{"message": ck.Message, "count": ck.Count},
			"detail": []any{map[string]any{"message": ck.Message}}, "muted": false}
	}
	var quorum []int
	var quorumNames []string
	mons := []any{}
	for rank, id := range sortedKeys(cc.Mons) {
		m := cc.Mons[id]
		if c.daemonUp(db, m) {
			quorum = append(quorum, rank)
			quorumNames = append(quorumNames, id)
		}
		mons = append(mons, map[string]any{"rank": rank, "name": id, "addr": m.Addr + ":6789/0", "public_addr": m.Addr + ":6789/0",
			"public_addrs": map[string]any{"addrvec": []any{map[string]any{"type": "v2", "addr": m.Addr + ":3300", "nonce": 0},
				map[string]any{"type": "v1", "addr": m.Addr + ":6789", "nonce": 0}}},
			"priority": 0, "weight": 0, "crush_location": "{}"})
	}
	return map[string]any{
		"fsid":            cc.FSID,
		"health":          map[string]any{"status": h.Status, "checks": checks, "mutes": []any{}},
		"election_epoch":  2*len(cc.Mons) + 1,
		"quorum":          orEmpty(quorum),
		"quorum_names":    orEmptyS(quorumNames),
		"quorum_age":      int64(now.Sub(cc.LastChange).Seconds()),
		"monmap":          c.monmap(cc, mons, orEmpty(quorum)),
		"osdmap":          c.osdmap(db, h),
		"pgmap":           c.pgmap(db, h),
		"fsmap":           map[string]any{"epoch": 1, "by_rank": []any{}, "up:standby": 0},
		"mgrmap":          c.mgrmap(db),
		"servicemap":      map[string]any{"epoch": cc.Epoch, "modified": now.UTC().Format(cephTime), "services": map[string]any{}},
		"progress_events": map[string]any{},
	}
}

func (c *Cluster) monmap(cc *cephCluster, mons []any, quorum []int) map[string]any {
	release := cc.Release
	if release == "" {
		release = "squid"
	}
	persistent := []string{"kraken", "luminous", "mimic", "osdmap-prune", "nautilus", "octopus", "pacific", "elector-pinging", "quincy", "reef"}
	if release == "squid" {
		persistent = append(persistent, "squid")
	}
	return map[string]any{"epoch": len(cc.Mons), "fsid": cc.FSID, "modified": cc.LastChange.UTC().Format(cephTime),
		"created": cc.Created.UTC().Format(cephTime), "min_mon_release": map[string]int{"reef": 18, "squid": 19}[release],
		"min_mon_release_name": release, "election_strategy": 1, "disallowed_leaders: ": "", "stretch_mode": false,
		"tiebreaker_mon": "", "removed_ranks: ": "", "features": map[string]any{"persistent": persistent, "optional": []any{}},
		"mons": mons, "quorum": quorum}
}

func (c *Cluster) osdmap(db *confDB, h cephHealthReport) map[string]any {
	since := db.Ceph.LastChange.Unix()
	return map[string]any{"epoch": db.Ceph.Epoch, "num_osds": len(db.Ceph.OSDs), "num_up_osds": h.OSDsUp, "osd_up_since": since,
		"num_in_osds": len(db.Ceph.OSDs), "osd_in_since": since, "num_remapped_pgs": 0}
}

func (c *Cluster) pgmap(db *confDB, h cephHealthReport) map[string]any {
	cc := db.Ceph
	states := []any{}
	names := make([]string, 0, len(h.PGStates))
	for s := range h.PGStates {
		names = append(names, s)
	}
	sort.Strings(names)
	pgs := 0
	for _, s := range names {
		states = append(states, map[string]any{"state_name": s, "count": h.PGStates[s]})
		pgs += h.PGStates[s]
	}
	var stored, used int64
	for _, p := range cc.Pools {
		s := c.poolStored(db, p)
		stored += s
		used += s * int64(p.Size)
	}
	raw := c.rawBytes(cc)
	return map[string]any{"pgs_by_state": states, "num_pgs": pgs, "num_pools": len(cc.Pools), "num_objects": stored / (4 << 20),
		"data_bytes": stored, "bytes_used": used, "bytes_avail": raw - used, "bytes_total": raw,
		"read_bytes_sec": 0, "write_bytes_sec": 0, "read_op_per_sec": 0, "write_op_per_sec": 0}
}

func (c *Cluster) mgrmap(db *confDB) map[string]any {
	active := c.activeMgr(db)
	standbys := []any{}
	for _, id := range sortedKeys(db.Ceph.Mgrs) {
		if id != active && c.daemonUp(db, db.Ceph.Mgrs[id]) {
			standbys = append(standbys, map[string]any{"name": id, "gid": 4100 + len(standbys), "available_modules": []any{}})
		}
	}
	out := map[string]any{"epoch": db.Ceph.Epoch, "available": active != "", "active_name": active, "active_gid": 0,
		"active_addr": "", "standbys": standbys, "modules": []string{"iostat", "nfs", "restful"}, "services": map[string]any{},
		"active_change": db.Ceph.Created.UTC().Format(time.RFC3339)}
	if m := db.Ceph.Mgrs[active]; m != nil {
		out["active_gid"] = 4099
		out["active_addr"] = fmt.Sprintf("%s:6801/1234", m.Addr)
		out["active_addrs"] = map[string]any{"addrvec": []any{map[string]any{"type": "v2", "addr": m.Addr + ":6800", "nonce": 1234}}}
	}
	return out
}

func orEmpty(v []int) []int {
	if v == nil {
		return []int{}
	}
	return v
}

func orEmptyS(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}
