package proxmox

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

var crushTypeID = func() map[string]int {
	m := map[string]int{}
	for i, t := range crushTypes {
		m[t] = i
	}
	return m
}()

func ruleJSON(r *crushRule) map[string]any {
	take := map[string]any{"op": "take", "item": -1, "item_name": r.Root}
	if r.Class != "" {
		take["item_name"] = r.Root + "~" + r.Class
	}
	return map[string]any{"rule_id": r.ID, "rule_name": r.Name, "type": 1, "steps": []any{take,
		map[string]any{"op": "chooseleaf_firstn", "num": 0, "type": r.Domain}, map[string]any{"op": "emit"}}}
}

func crushRuleDump(_ *shell, cc *cephCluster, _ *confDB, args []string, _ bool, out, errw io.Writer) int {
	if len(args) > 0 {
		r := cc.rule(args[0])
		if r == nil {
			fmt.Fprintf(errw, "Error ENOENT: unknown crush rule '%s'\n", args[0])
			return 2
		}
		printJSON(out, ruleJSON(r))
		return 0
	}
	rules := []any{}
	for _, r := range cc.Rules {
		rules = append(rules, ruleJSON(r))
	}
	printJSON(out, rules)
	return 0
}

func crushRuleLs(_ *shell, cc *cephCluster, _ *confDB, _ []string, asJSON bool, out, _ io.Writer) int {
	var names []string
	for _, r := range cc.Rules {
		names = append(names, r.Name)
	}
	if asJSON {
		printJSON(out, names)
	} else {
		fmt.Fprintln(out, strings.Join(names, "\n"))
	}
	return 0
}

// children lists a bucket's child IDs: sub-buckets, and a host's OSDs.
func (cc *cephCluster) children(b *crushBucket) []int {
	var ids []int
	for _, c := range cc.Buckets {
		if c.Parent == b.Name {
			ids = append(ids, c.ID)
		}
	}
	if b.Type == "host" {
		for _, o := range cc.OSDs {
			if o.Host == b.Name {
				ids = append(ids, o.ID)
			}
		}
	}
	return ids
}

// weight is a bucket's CRUSH weight: its OSDs' sizes in TiB.
func (cc *cephCluster) weight(b *crushBucket) float64 {
	w := 0.0
	for _, o := range cc.OSDs {
		if o.Host == b.Name {
			w += tib(o.Bytes)
		}
	}
	for _, c := range cc.Buckets {
		if c.Parent == b.Name {
			w += cc.weight(c)
		}
	}
	return w
}

func crushDump(_ *shell, cc *cephCluster, _ *confDB, _ []string, _ bool, out, _ io.Writer) int {
	devices := []any{}
	for _, o := range cc.OSDs {
		devices = append(devices, map[string]any{"id": o.ID, "name": "osd." + strconv.Itoa(o.ID), "class": o.Class})
	}
	types := []any{}
	for i, t := range crushTypes {
		types = append(types, map[string]any{"type_id": i, "name": t})
	}
	buckets := []any{}
	for _, b := range cc.Buckets {
		items := []any{}
		for pos, id := range cc.children(b) {
			items = append(items, map[string]any{"id": id, "weight": int(cc.itemWeight(id) * 65536), "pos": pos})
		}
		buckets = append(buckets, map[string]any{"id": b.ID, "name": b.Name, "type_id": crushTypeID[b.Type], "type_name": b.Type,
			"weight": int(cc.weight(b) * 65536), "alg": "straw2", "hash": "rjenkins1", "items": items})
	}
	rules := []any{}
	for _, r := range cc.Rules {
		rules = append(rules, ruleJSON(r))
	}
	printJSON(out, map[string]any{"devices": devices, "types": types, "buckets": buckets, "rules": rules,
		"tunables": map[string]any{"choose_local_tries": 0, "choose_total_tries": 50, "chooseleaf_descend_once": 1,
			"chooseleaf_vary_r": 1, "chooseleaf_stable": 1, "straw_calc_version": 1, "allowed_bucket_algs": 54, "profile": "jewel"},
		"choose_args": map[string]any{}})
	return 0
}

func (cc *cephCluster) itemWeight(id int) float64 {
	if id >= 0 {
		for _, o := range cc.OSDs {
			if o.ID == id {
				return tib(o.Bytes)
			}
		}
		return 0
	}
	for _, b := range cc.Buckets {
		if b.ID == id {
			return cc.weight(b)
		}
	}
	return 0
}

// crushTree is `ceph osd crush tree --format json` (also `ceph osd tree`).
func crushTree(sh *shell, cc *cephCluster, db *confDB, _ []string, _ bool, out, _ io.Writer) int {
	nodes := []any{}
	for _, b := range cc.Buckets {
		nodes = append(nodes, map[string]any{"id": b.ID, "name": b.Name, "type": b.Type, "type_id": crushTypeID[b.Type], "children": cc.children(b)})
	}
	for _, o := range cc.OSDs {
		status := "down"
		if sh.c.osdUp(db, o) {
			status = "up"
		}
		nodes = append(nodes, map[string]any{"id": o.ID, "device_class": o.Class, "name": "osd." + strconv.Itoa(o.ID), "type": "osd",
			"type_id": 0, "crush_weight": tib(o.Bytes), "depth": len(cc.ancestors(o.Host)) + 1, "status": status, "reweight": 1})
	}
	printJSON(out, map[string]any{"nodes": nodes, "stray": []any{}})
	return 0
}

// poolSet is `ceph osd pool set POOL VAR VAL` for the variables the tool
// uses; a rule change remaps PGs, so Ceph settles again.
func poolSet(sh *shell, cc *cephCluster, _ *confDB, args []string, _ bool, out, errw io.Writer) int {
	if len(args) < 3 {
		fmt.Fprintln(errw, "Invalid command: missing required parameter val(<string>)")
		return 22
	}
	p := cc.pool(args[0])
	if p == nil {
		fmt.Fprintf(errw, "Error ENOENT: unrecognized pool '%s'\n", args[0])
		return 2
	}
	switch args[1] {
	case "crush_rule":
		r := cc.rule(args[2])
		if r == nil {
			fmt.Fprintf(errw, "Error ENOENT: crush rule %s does not exist\n", args[2])
			return 2
		}
		p.Rule = r.ID
	case "size", "min_size", "pg_num":
		v, err := strconv.Atoi(args[2])
		if err != nil || v < 1 {
			fmt.Fprintf(errw, "Error EINVAL: error parsing integer value '%s'\n", args[2])
			return 22
		}
		*map[string]*int{"size": &p.Size, "min_size": &p.MinSize, "pg_num": &p.PGNum}[args[1]] = v
	default:
		return sh.unmodelled("ceph osd pool set "+strings.Join(args, " "), errw, "Error EINVAL: the simulator does not model pool variable "+args[1], 22)
	}
	cc.Epoch++
	cc.LastChange = sh.c.env.Now()
	fmt.Fprintf(errw, "set pool %d %s to %s\n", p.ID, args[1], args[2])
	return 0
}

func poolGet(_ *shell, cc *cephCluster, _ *confDB, args []string, asJSON bool, out, errw io.Writer) int {
	if len(args) < 2 || cc.pool(args[0]) == nil {
		fmt.Fprintf(errw, "Error ENOENT: unrecognized pool '%s'\n", strings.Join(args, " "))
		return 2
	}
	p := cc.pool(args[0])
	vals := map[string]any{"crush_rule": cc.ruleByID(p.Rule).Name, "size": p.Size, "min_size": p.MinSize, "pg_num": p.PGNum}
	v, ok := vals[args[1]]
	if !ok {
		fmt.Fprintf(errw, "Error EINVAL: invalid choice %s\n", args[1])
		return 22
	}
	if asJSON {
		printJSON(out, map[string]any{"pool": p.Name, "pool_id": p.ID, args[1]: v})
	} else {
		fmt.Fprintf(out, "%s: %v\n", args[1], v)
	}
	return 0
}

func poolLs(_ *shell, cc *cephCluster, _ *confDB, _ []string, asJSON bool, out, _ io.Writer) int {
	var names []string
	for _, p := range cc.Pools {
		names = append(names, p.Name)
	}
	if asJSON {
		printJSON(out, names)
	} else if len(names) > 0 {
		fmt.Fprintln(out, strings.Join(names, "\n"))
	}
	return 0
}

func cephStatusCmd(sh *shell, _ *cephCluster, db *confDB, _ []string, asJSON bool, out, _ io.Writer) int {
	st := sh.c.cephStatus(db)
	if asJSON {
		printJSON(out, st)
		return 0
	}
	h := st["health"].(map[string]any)
	fmt.Fprintf(out, "  cluster:\n    id:     %s\n    health: %s\n", db.Ceph.FSID, h["status"])
	return 0
}

func cephHealthCmd(sh *shell, _ *cephCluster, db *confDB, args []string, asJSON bool, out, _ io.Writer) int {
	h := sh.c.cephHealth(db)
	if asJSON {
		printJSON(out, sh.c.cephStatus(db)["health"])
		return 0
	}
	var msgs []string
	for _, name := range h.checkNames() {
		msgs = append(msgs, h.Checks[name].Message)
	}
	if len(msgs) == 0 {
		fmt.Fprintln(out, h.Status)
	} else {
		fmt.Fprintf(out, "%s %s\n", h.Status, strings.Join(msgs, "; "))
	}
	return 0
}
