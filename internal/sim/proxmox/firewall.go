package proxmox

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// pveFirewall is what /etc/pve/firewall holds: cluster.fw (the datacenter's
// options and rules) and nodes/<node>/host.fw (each host's). It lives in the
// cluster file system, so a join throws the joiner's away, as on real PVE.
type pveFirewall struct {
	Options map[string]string   `json:"options,omitempty"` // cluster.fw [OPTIONS]
	Rules   []*fwRule           `json:"rules,omitempty"`   // cluster.fw [RULES], in order
	Hosts   map[string]*hostFW  `json:"hosts,omitempty"`   // by node name
	Aliases map[string]*fwAlias `json:"aliases,omitempty"` // cluster.fw [ALIASES], by lower-case name
}

// hostFW is one host.fw.
type hostFW struct {
	Options map[string]string `json:"options,omitempty"`
	Rules   []*fwRule         `json:"rules,omitempty"`
}

// fwRule is one firewall rule with PVE's fields; empty means unset.
type fwRule struct {
	Type    string `json:"type"`   // in, out, group
	Action  string `json:"action"` // ACCEPT, DROP, REJECT (or a group name)
	Enable  int    `json:"enable"` // 0 unless the create sent enable=1, as PVE does
	Macro   string `json:"macro,omitempty"`
	Source  string `json:"source,omitempty"`
	Dest    string `json:"dest,omitempty"`
	Proto   string `json:"proto,omitempty"`
	Dport   string `json:"dport,omitempty"`
	Sport   string `json:"sport,omitempty"`
	Iface   string `json:"iface,omitempty"`
	Log     string `json:"log,omitempty"`
	Comment string `json:"comment,omitempty"`
}

// firewall returns the cluster file system's firewall config, made on first use.
func (db *confDB) firewall() *pveFirewall {
	if db.Firewall == nil {
		db.Firewall = &pveFirewall{}
	}
	if db.Firewall.Options == nil {
		db.Firewall.Options = map[string]string{}
	}
	if db.Firewall.Hosts == nil {
		db.Firewall.Hosts = map[string]*hostFW{}
	}
	return db.Firewall
}

func (fw *pveFirewall) host(name string) *hostFW {
	h := fw.Hosts[name]
	if h == nil {
		h = &hostFW{Options: map[string]string{}}
		fw.Hosts[name] = h
	}
	if h.Options == nil {
		h.Options = map[string]string{}
	}
	return h
}

// macros are the PVE firewall macros the simulator knows: proto and dports.
var macros = map[string][][2]string{
	"SSH":   {{"tcp", "22"}},
	"HTTP":  {{"tcp", "80"}},
	"HTTPS": {{"tcp", "443"}},
	"Ceph":  {{"tcp", "6789"}, {"tcp", "3300"}, {"tcp", "6800:7300"}},
	"Ping":  {{"icmp", ""}},
}

// Verdicts of the host firewall for a new incoming connection.
const (
	verdictAccept = "ACCEPT"
	verdictDrop   = "DROP"
	verdictReject = "REJECT"
)

// packet is a new incoming connection as the host firewall sees it.
type packet struct {
	src   netip.Addr
	iface string // the interface it arrives on: vmbr0 (public) or the VLAN bridge
	proto string
	port  int
}

// verdict is PVE's PVEFW-HOST-IN for a new connection: everything passes
// unless the datacenter's enable is set and the host's is not 0; then the
// host's rules then the datacenter's decide in order; then the management
// IP set, which always holds local_network (the alias of that name, or the
// subnet of the host's public address, localnet), reaches 8006, 22, 3128
// and 5900-5999; and policy_in (default DROP) the rest.
// Established connections are not asked: conntrack keeps them.
func (fw *pveFirewall) verdict(node string, localnet netip.Prefix, p packet) string {
	if fw == nil || fw.Options["enable"] != "1" {
		return verdictAccept
	}
	h := fw.Hosts[node]
	if h != nil && h.Options["enable"] == "0" {
		return verdictAccept
	}
	var rules []*fwRule
	if h != nil {
		rules = append(rules, h.Rules...)
	}
	rules = append(rules, fw.Rules...)
	for _, r := range rules {
		if r.matches(p) {
			return r.Action
		}
	}
	if localnet = fw.localNetwork(localnet); localnet.IsValid() && localnet.Contains(p.src) && p.proto == "tcp" &&
		(p.port == 8006 || p.port == 22 || p.port == 3128 || (p.port >= 5900 && p.port <= 5999)) {
		return verdictAccept
	}
	if pol := fw.Options["policy_in"]; pol != "" {
		return pol
	}
	return verdictDrop
}

func (r *fwRule) matches(p packet) bool {
	if r.Type != "in" || r.Enable == 0 {
		return false
	}
	if r.Iface != "" && r.Iface != p.iface {
		return false
	}
	if r.Source != "" && !addrInList(r.Source, p.src) {
		return false
	}
	if r.Macro != "" {
		for _, m := range macros[r.Macro] {
			if m[0] == p.proto && portInList(m[1], p.port) {
				return true
			}
		}
		return false
	}
	if r.Proto != "" && r.Proto != p.proto {
		return false
	}
	return r.Dport == "" || portInList(r.Dport, p.port)
}

// addrInList matches PVE's source syntax: addresses and CIDRs, comma separated.
func addrInList(list string, a netip.Addr) bool {
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if pf, err := netip.ParsePrefix(s); err == nil && pf.Contains(a) {
			return true
		}
		if b, err := netip.ParseAddr(s); err == nil && b == a {
			return true
		}
	}
	return false
}

// portInList matches PVE's dport syntax: ports and ranges a:b, comma separated.
func portInList(list string, port int) bool {
	for _, s := range strings.Split(list, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(s), ":")
		a, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		if port >= a && port <= b {
			return true
		}
	}
	return false
}

// SetHostFirewallOption sets one option of a host's host.fw, as an admin
// editing /etc/pve/nodes/<host>/host.fw by hand would (enable=0 switches
// the firewall off for that host while the datacenter's is on).
func (c *Cluster) SetHostFirewallOption(host, key, value string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.nodes[host]
	if n == nil {
		return fmt.Errorf("no Proxmox host named %q", host)
	}
	n.db.firewall().host(n.Info.Hostname).Options[key] = value
	n.db.Rev++
	return nil
}
