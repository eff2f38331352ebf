package proxmox

import (
	"net/netip"
	"strconv"
	"strings"
)

// apply validates and sets the rule fields the request sends, as
// PVE::Firewall::verify_rule does, all problems at once.
func (r *fwRule) apply(q *call) error {
	errs := map[string]string{}
	for _, k := range []string{"type", "action", "enable", "macro", "source", "dest", "proto", "dport", "sport", "iface", "log", "comment"} {
		if !q.has(k) {
			continue
		}
		if msg := r.set(k, q.str(k)); msg != "" {
			errs[k] = msg
		}
	}
	if r.Macro == "" && (r.Dport != "" || r.Sport != "") && r.Proto != "tcp" && r.Proto != "udp" && r.Proto != "sctp" {
		errs["proto"] = "protocol 'tcp', 'udp' or 'sctp' required for port option"
	}
	if len(errs) > 0 {
		return paramErr(errs)
	}
	return nil
}

// set assigns one field and returns PVE's complaint about its value, if any.
func (r *fwRule) set(k, v string) string {
	switch k {
	case "type":
		if v != "" && !fwTypes[v] {
			return "value '" + v + "' does not have a value in the enumeration 'in, out, forward, group'"
		}
		r.Type = v
	case "action":
		if v != "" && !fwActions[v] {
			return "security group '" + v + "' does not exist"
		}
		r.Action = v
	case "enable":
		n, err := strconv.Atoi(v)
		if v != "" && (err != nil || n < 0) {
			return "type check ('integer') failed - got '" + v + "'"
		}
		r.Enable = n
	case "macro":
		if _, ok := macros[v]; v != "" && !ok {
			return "unknown macro '" + v + "'"
		}
		r.Macro = v
	case "source", "dest":
		for _, s := range strings.Split(v, ",") {
			if _, e1 := netip.ParsePrefix(s); v != "" && e1 != nil {
				if _, e2 := netip.ParseAddr(s); e2 != nil {
					return "invalid IP address: '" + s + "'"
				}
			}
		}
		if k == "source" {
			r.Source = v
		} else {
			r.Dest = v
		}
	case "proto":
		if v != "" && !fwProtos[v] {
			if _, err := strconv.Atoi(v); err != nil {
				return "unknown protocol '" + v + "'"
			}
		}
		r.Proto = v
	case "dport", "sport":
		for _, s := range strings.Split(v, ",") {
			for _, part := range strings.Split(s, ":") {
				if n, err := strconv.Atoi(part); v != "" && (err != nil || n < 1 || n > 65535) {
					return "invalid port '" + s + "'"
				}
			}
		}
		if k == "dport" {
			r.Dport = v
		} else {
			r.Sport = v
		}
	case "iface":
		if v != "" && !ifaceName.MatchString(v) {
			return "invalid format - value does not look like a valid interface name"
		}
		r.Iface = v
	case "log":
		r.Log = v
	case "comment":
		r.Comment = v
	}
	return ""
}
