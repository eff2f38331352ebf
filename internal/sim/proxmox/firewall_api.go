package proxmox

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
)

// The firewall API, /cluster/firewall/{options,rules} and
// /nodes/{node}/firewall/{options,rules}, with PVE's parameters, types and
// semantics: options answered with only the keys set (enable as an
// integer), rules listed with their positions, a create inserting at the
// top (or at pos) disabled unless enable=1, digests checked when sent.
var (
	ruleParams        = []string{"action", "type", "pos", "enable", "source", "dest", "dport", "sport", "proto", "iface", "macro", "comment", "log", "icmp-type", "digest"}
	clusterOptParams  = []string{"enable", "policy_in", "policy_out", "policy_forward", "ebtables", "log_ratelimit", "delete", "digest"}
	nodeOptParams     = []string{"enable", "log_level_in", "log_level_out", "log_level_forward", "ndp", "nf_conntrack_allow_invalid", "nf_conntrack_max", "nosmurfs", "protection_synflood", "smurf_log_level", "tcp_flags_log_level", "tcpflags", "delete", "digest"}
	fwBoolOptions     = map[string]bool{"enable": true, "ebtables": true, "ndp": true, "nf_conntrack_allow_invalid": true, "nosmurfs": true, "protection_synflood": true, "tcpflags": true}
	fwPolicyOptions   = map[string]bool{"policy_in": true, "policy_out": true, "policy_forward": true}
	ifaceName         = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_.-]{0,19}$`)
	fwProtos          = map[string]bool{"tcp": true, "udp": true, "icmp": true, "icmpv6": true, "sctp": true, "gre": true, "esp": true, "ah": true, "ipv6-icmp": true}
	fwActions         = map[string]bool{verdictAccept: true, verdictDrop: true, verdictReject: true}
	fwTypes           = map[string]bool{"in": true, "out": true, "group": true, "forward": true}
	firewallAuditPriv = privCheck("/", "Sys.Audit")
	firewallModPriv   = privCheck("/", "Sys.Modify")
)

func (c *Cluster) firewallRoutes() []route {
	var rs []route
	for _, base := range []string{"/cluster/firewall", "/nodes/{node}/firewall"} {
		opts := clusterOptParams
		if strings.HasPrefix(base, "/nodes") {
			opts = nodeOptParams
		}
		rs = append(rs,
			route{"GET " + base + "/options", false, firewallAuditPriv, spec(), c.getFWOptions},
			route{"PUT " + base + "/options", true, firewallModPriv, spec(opts...), c.setFWOptions},
			route{"GET " + base + "/rules", false, firewallAuditPriv, spec(), c.listFWRules},
			route{"POST " + base + "/rules", true, firewallModPriv, spec(append([]string{"action!", "type!"}, ruleParams[2:]...)...), c.createFWRule},
			route{"GET " + base + "/rules/{pos}", false, firewallAuditPriv, spec(), c.getFWRule},
			route{"PUT " + base + "/rules/{pos}", true, firewallModPriv, spec(append(ruleParams, "moveto", "delete")...), c.updateFWRule},
			route{"DELETE " + base + "/rules/{pos}", true, firewallModPriv, spec("digest"), c.deleteFWRule},
		)
	}
	return rs
}

// fwScope is the options and rules one request addresses: the datacenter's
// (cluster.fw) or the named node's (host.fw), in the node's /etc/pve.
func (q *call) fwScope() (opts map[string]string, rules *[]*fwRule) {
	fw := q.node.db.firewall()
	if q.r.PathValue("node") == "" {
		return fw.Options, &fw.Rules
	}
	h := fw.host(q.node.Info.Hostname)
	return h.Options, &h.Rules
}

func fwDigest(v any) string {
	b, _ := json.Marshal(v)
	return hexID("firewall", string(b))[:40]
}

func (c *Cluster) getFWOptions(q *call) (any, error) {
	opts, _ := q.fwScope()
	out := map[string]any{"digest": fwDigest(opts)}
	for k, v := range opts {
		if n, err := strconv.Atoi(v); err == nil && (fwBoolOptions[k] || k == "nf_conntrack_max") {
			out[k] = n
		} else {
			out[k] = v
		}
	}
	return out, nil
}

func (c *Cluster) setFWOptions(q *call) (any, error) {
	opts, _ := q.fwScope()
	if d := q.str("digest"); d != "" && d != fwDigest(opts) {
		return nil, errf("detected modified configuration - file changed by other user? Try again.")
	}
	errs := map[string]string{}
	set := map[string]string{}
	for k := range q.p {
		if k == "delete" || k == "digest" {
			continue
		}
		v := q.str(k)
		switch {
		case fwBoolOptions[k]:
			b, ok := pveBool(v)
			if !ok {
				errs[k] = "type check ('boolean') failed - got '" + v + "'"
				continue
			}
			set[k] = b
		case fwPolicyOptions[k]:
			if !fwActions[v] {
				errs[k] = "value '" + v + "' does not have a value in the enumeration 'ACCEPT, REJECT, DROP'"
				continue
			}
			set[k] = v
		default:
			set[k] = v
		}
	}
	if len(errs) > 0 {
		return nil, paramErr(errs)
	}
	for _, k := range strings.FieldsFunc(q.str("delete"), func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
		delete(opts, k)
	}
	for k, v := range set {
		opts[k] = v
	}
	q.node.db.Rev++
	return nil, nil
}

// pveBool reads a PVE boolean into "1" or "0".
func pveBool(v string) (string, bool) {
	switch strings.ToLower(v) {
	case "1", "yes", "on", "true":
		return "1", true
	case "0", "no", "off", "false":
		return "0", true
	}
	return "", false
}

func (c *Cluster) listFWRules(q *call) (any, error) {
	_, rules := q.fwScope()
	out := make([]map[string]any, 0, len(*rules))
	for i, r := range *rules {
		out = append(out, r.wire(i, fwDigest(*rules)))
	}
	return out, nil
}

// wire is a rule as the API lists it: only the fields set, pos and enable
// as integers.
func (r *fwRule) wire(pos int, digest string) map[string]any {
	m := map[string]any{"pos": pos, "type": r.Type, "action": r.Action, "enable": r.Enable, "digest": digest}
	for k, v := range map[string]string{"macro": r.Macro, "source": r.Source, "dest": r.Dest, "proto": r.Proto,
		"dport": r.Dport, "sport": r.Sport, "iface": r.Iface, "log": r.Log, "comment": r.Comment} {
		if v != "" {
			m[k] = v
		}
	}
	if r.Source != "" || r.Dest != "" {
		m["ipversion"] = 4
	}
	return m
}

func (q *call) fwPos(rules []*fwRule) (int, error) {
	pos, err := strconv.Atoi(q.r.PathValue("pos"))
	if err != nil || pos < 0 {
		return 0, paramErr(map[string]string{"pos": "type check ('integer') failed - got '" + q.r.PathValue("pos") + "'"})
	}
	if pos >= len(rules) {
		return 0, errf("no rule at position %d", pos)
	}
	return pos, nil
}

func (c *Cluster) getFWRule(q *call) (any, error) {
	_, rules := q.fwScope()
	pos, err := q.fwPos(*rules)
	if err != nil {
		return nil, err
	}
	return (*rules)[pos].wire(pos, fwDigest(*rules)), nil
}

func (c *Cluster) createFWRule(q *call) (any, error) {
	_, rules := q.fwScope()
	if d := q.str("digest"); d != "" && d != fwDigest(*rules) {
		return nil, errf("detected modified configuration - file changed by other user? Try again.")
	}
	r := &fwRule{}
	if err := r.apply(q); err != nil {
		return nil, err
	}
	pos := 0
	if q.has("pos") {
		pos = min(max(q.intOr("pos", 0), 0), len(*rules))
	}
	*rules = append((*rules)[:pos], append([]*fwRule{r}, (*rules)[pos:]...)...)
	q.node.db.Rev++
	return nil, nil
}

func (c *Cluster) updateFWRule(q *call) (any, error) {
	_, rules := q.fwScope()
	pos, err := q.fwPos(*rules)
	if err != nil {
		return nil, err
	}
	if d := q.str("digest"); d != "" && d != fwDigest(*rules) {
		return nil, errf("detected modified configuration - file changed by other user? Try again.")
	}
	if q.has("moveto") {
		to := min(max(q.intOr("moveto", 0), 0), len(*rules)-1)
		r := (*rules)[pos]
		rest := append(append([]*fwRule{}, (*rules)[:pos]...), (*rules)[pos+1:]...)
		*rules = append(rest[:to], append([]*fwRule{r}, rest[to:]...)...)
		q.node.db.Rev++
		return nil, nil
	}
	cp := *(*rules)[pos]
	for _, k := range strings.Split(q.str("delete"), ",") {
		cp.set(strings.TrimSpace(k), "")
	}
	if err := cp.apply(q); err != nil {
		return nil, err
	}
	*(*rules)[pos] = cp
	q.node.db.Rev++
	return nil, nil
}

func (c *Cluster) deleteFWRule(q *call) (any, error) {
	_, rules := q.fwScope()
	if d := q.str("digest"); d != "" && d != fwDigest(*rules) {
		return nil, errf("detected modified configuration - file changed by other user? Try again.")
	}
	pos, err := q.fwPos(*rules)
	if err != nil {
		return nil, err
	}
	*rules = append((*rules)[:pos], (*rules)[pos+1:]...)
	q.node.db.Rev++
	return nil, nil
}
