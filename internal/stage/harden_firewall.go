package stage

import (
	"fmt"
	"slices"
	"strings"
)

// The datacenter firewall tripod keeps: its rules, each marked by a
// comment starting with rulePrefix so that tripod recognises its own and
// leaves anybody else's alone, at the top of /cluster/firewall/rules in
// this order; and the options enable=1, policy_in=DROP. Everything from
// the private network is accepted (corosync, Ceph, live migration, the
// hosts' own SSH and API between them, the VM bridge); from the internet
// only SSH (from the allowed sources when there are any) and, with allowed
// sources, 8006 from them.

// rulePrefix marks tripod's firewall rules.
const rulePrefix = "tripod: "

// fwRule is one firewall rule as tripod writes and compares it: PVE's
// field names and values, only the ones set.
type fwRule map[string]string

// desiredRules are tripod's rules for the cluster, top first.
func (e *Env) desiredRules() []fwRule {
	c := e.Cluster()
	private := c.Network.Subnet.Masked().String()
	rule := func(comment string, kv ...string) fwRule {
		r := fwRule{"type": "in", "action": "ACCEPT", "enable": "1", "comment": rulePrefix + comment}
		for i := 0; i+1 < len(kv); i += 2 {
			r[kv[i]] = kv[i+1]
		}
		return r
	}
	rules := []fwRule{
		rule("corosync on the private network", "source", private, "proto", "udp", "dport", "5405:5412"),
		rule("Ceph on the private network", "source", private, "macro", "Ceph"),
		rule("live migration on the private network", "source", private, "proto", "tcp", "dport", "60000:60050"),
		rule("SSH and the Proxmox API between the hosts", "source", private, "proto", "tcp", "dport", "22,8006,3128,5900:5999"),
		rule("the VM bridge", "source", private, "iface", c.Network.Bridge),
	}
	ssh := rule("SSH, keys only", "macro", "SSH")
	if srcs := c.Access.AllowedSources; len(srcs) > 0 {
		ssh["source"] = strings.Join(srcs, ",")
		rules = append(rules, ssh, rule("the Proxmox API and UI from the allowed sources", "source", ssh["source"], "proto", "tcp", "dport", "8006"))
	} else {
		rules = append(rules, ssh)
	}
	return rules
}

// ruleFields are the fields a rule is compared on.
var ruleFields = []string{"type", "action", "enable", "macro", "source", "dest", "proto", "dport", "sport", "iface", "comment"}

// observedRule reads one rule of GET .../firewall/rules into tripod's form.
func observedRule(m map[string]any) fwRule {
	r := fwRule{}
	for _, k := range ruleFields {
		switch v := m[k].(type) {
		case string:
			if v != "" {
				r[k] = v
			}
		case float64:
			r[k] = fmt.Sprint(int(v))
		}
	}
	if r["enable"] == "0" {
		delete(r, "enable")
	}
	return r
}

func (r fwRule) equal(o fwRule) bool {
	for _, k := range ruleFields {
		if r[k] != o[k] {
			return false
		}
	}
	return true
}

func (r fwRule) ours() bool { return strings.HasPrefix(r["comment"], rulePrefix) }

// params is the rule as POST .../firewall/rules takes it, inserted at pos.
func (r fwRule) params(pos int) map[string]any {
	p := map[string]any{"pos": pos}
	for k, v := range r {
		p[k] = v
	}
	return p
}

// ruleChange is one change of the datacenter's rules: the rule at Pos
// deleted, or Rule inserted at Pos.
type ruleChange struct {
	Delete bool
	Pos    int
	Rule   fwRule
}

// nextRuleChange is the one change that brings seen closer to tripod's
// rules want at the top, in order, with no other rule of tripod's below
// them; false when seen is there. Past the longest prefix of seen that is
// want already, the missing rule is inserted; only once every rule of want
// is in place are tripod's old rules below them deleted; somebody else's
// rules only move down. Every rule is an ACCEPT, so each state on the way
// accepts all that the old rules and the new ones accept: a run killed
// half-way through a change of access.allowedSources on a firewall that is
// on never leaves tripod fewer ways in than it had. Each change shortens
// the distance, so however often an answer is lost, reading the rules
// again and asking anew converges.
func nextRuleChange(seen, want []fwRule) (ruleChange, bool) {
	k := 0
	for k < len(want) && k < len(seen) && seen[k].equal(want[k]) {
		k++
	}
	if k < len(want) {
		return ruleChange{Pos: k, Rule: want[k]}, true
	}
	for j := k; j < len(seen); j++ {
		if seen[j].ours() {
			return ruleChange{Delete: true, Pos: j, Rule: seen[j]}, true
		}
	}
	return ruleChange{}, false
}

// apply returns rules with c made.
func (c ruleChange) apply(rules []fwRule) []fwRule {
	out := slices.Clone(rules)
	if c.Delete {
		return slices.Delete(out, c.Pos, c.Pos+1)
	}
	return slices.Insert(out, c.Pos, c.Rule)
}

// ruleChanges are the changes that bring seen to want, in order, without
// faults: what a run sends and a plan lists.
func ruleChanges(seen, want []fwRule) []ruleChange {
	var out []ruleChange
	for {
		c, ok := nextRuleChange(seen, want)
		if !ok {
			return out
		}
		out = append(out, c)
		seen = c.apply(seen)
	}
}
