package stage

import (
	"fmt"
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

// params is the rule as POST .../firewall/rules takes it, at the top.
func (r fwRule) params() map[string]any {
	p := map[string]any{"pos": 0}
	for k, v := range r {
		p[k] = v
	}
	return p
}

// ruleDiff is how tripod's rules on the cluster differ from want: the
// positions of its own rules to delete (highest first) when they are not
// exactly want at the top, then want to insert, last first, each at the top.
func ruleDiff(seen []fwRule, want []fwRule) (deletes []int, inserts []fwRule) {
	inPlace := len(seen) >= len(want)
	for i := 0; inPlace && i < len(want); i++ {
		inPlace = seen[i].equal(want[i])
	}
	if inPlace {
		for _, r := range seen[len(want):] {
			if r.ours() {
				inPlace = false
			}
		}
	}
	if inPlace {
		return nil, nil
	}
	for i := len(seen) - 1; i >= 0; i-- {
		if seen[i].ours() {
			deletes = append(deletes, i)
		}
	}
	for i := len(want) - 1; i >= 0; i-- {
		inserts = append(inserts, want[i])
	}
	return deletes, inserts
}
