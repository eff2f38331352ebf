package proxmox

import (
	"net/netip"
	"regexp"
	"sort"
	"strings"
)

// The datacenter's firewall aliases, /cluster/firewall/aliases, as cluster.fw
// [ALIASES] holds them: names case-insensitive (stored lower case), a CIDR
// or address each. One alias matters to the host firewall: local_network,
// which when defined replaces the subnet PVE detects for the host (its
// public address's) as what the management IP set always holds, so what
// reaches 8006, 22, 3128 and 5900-5999 whatever the rules say
// (PVE::Firewall::compile pushes local_network into management).
type fwAlias struct {
	Name    string `json:"name"`
	CIDR    string `json:"cidr"`
	Comment string `json:"comment,omitempty"`
}

var aliasName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{1,63}$`)

func (c *Cluster) aliasRoutes() []route {
	const base = "/cluster/firewall/aliases"
	return []route{
		{"GET " + base, false, firewallAuditPriv, spec(), c.listAliases},
		{"POST " + base, true, firewallModPriv, spec("name!", "cidr!", "comment"), c.createAlias},
		{"GET " + base + "/{name}", false, firewallAuditPriv, spec(), c.getAlias},
		{"PUT " + base + "/{name}", true, firewallModPriv, spec("cidr!", "comment", "rename", "digest"), c.updateAlias},
		{"DELETE " + base + "/{name}", true, firewallModPriv, spec("digest"), c.deleteAlias},
	}
}

func (q *call) aliases() map[string]*fwAlias {
	fw := q.node.db.firewall()
	if fw.Aliases == nil {
		fw.Aliases = map[string]*fwAlias{}
	}
	return fw.Aliases
}

func (a *fwAlias) wire(digest string) map[string]any {
	m := map[string]any{"name": a.Name, "cidr": a.CIDR, "ipversion": 4, "digest": digest}
	if strings.Contains(a.CIDR, ":") {
		m["ipversion"] = 6
	}
	if a.Comment != "" {
		m["comment"] = a.Comment
	}
	return m
}

func (c *Cluster) listAliases(q *call) (any, error) {
	as := q.aliases()
	d := fwDigest(as)
	names := make([]string, 0, len(as))
	for n := range as {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]map[string]any, 0, len(as))
	for _, n := range names {
		out = append(out, as[n].wire(d))
	}
	return out, nil
}

// aliasCIDR checks a cidr parameter as PVE's IPorCIDR format does.
func aliasCIDR(v string) (string, error) {
	if _, err := netip.ParsePrefix(v); err == nil {
		return v, nil
	}
	if _, err := netip.ParseAddr(v); err == nil {
		return v, nil
	}
	return "", paramErr(map[string]string{"cidr": "value does not look like a valid IP address or CIDR network"})
}

func (c *Cluster) createAlias(q *call) (any, error) {
	name := q.str("name")
	if !aliasName.MatchString(name) {
		return nil, paramErr(map[string]string{"name": "value does not match the regex pattern"})
	}
	cidr, err := aliasCIDR(q.str("cidr"))
	if err != nil {
		return nil, err
	}
	as := q.aliases()
	if _, ok := as[strings.ToLower(name)]; ok {
		return nil, errf("alias '%s' already exists", name)
	}
	as[strings.ToLower(name)] = &fwAlias{Name: strings.ToLower(name), CIDR: cidr, Comment: q.str("comment")}
	q.node.db.Rev++
	return nil, nil
}

func (q *call) alias() (*fwAlias, error) {
	name := q.r.PathValue("name")
	a := q.aliases()[strings.ToLower(name)]
	if a == nil {
		return nil, errf("no such alias '%s'", name)
	}
	return a, nil
}

func (c *Cluster) getAlias(q *call) (any, error) {
	a, err := q.alias()
	if err != nil {
		return nil, err
	}
	return a.wire(fwDigest(q.aliases())), nil
}

func (c *Cluster) updateAlias(q *call) (any, error) {
	as := q.aliases()
	if d := q.str("digest"); d != "" && d != fwDigest(as) {
		return nil, errf("detected modified configuration - file changed by other user? Try again.")
	}
	a, err := q.alias()
	if err != nil {
		return nil, err
	}
	cidr, err := aliasCIDR(q.str("cidr"))
	if err != nil {
		return nil, err
	}
	if to := strings.ToLower(q.str("rename")); to != "" && to != a.Name {
		if !aliasName.MatchString(to) {
			return nil, paramErr(map[string]string{"rename": "value does not match the regex pattern"})
		}
		if _, ok := as[to]; ok {
			return nil, errf("alias '%s' already exists", to)
		}
		delete(as, a.Name)
		a.Name = to
		as[to] = a
	}
	a.CIDR, a.Comment = cidr, q.str("comment")
	q.node.db.Rev++
	return nil, nil
}

func (c *Cluster) deleteAlias(q *call) (any, error) {
	as := q.aliases()
	if d := q.str("digest"); d != "" && d != fwDigest(as) {
		return nil, errf("detected modified configuration - file changed by other user? Try again.")
	}
	name := strings.ToLower(q.r.PathValue("name"))
	if as[name] != nil {
		delete(as, name)
		q.node.db.Rev++
	}
	return nil, nil
}

// localNetwork is what PVE puts in the management IP set: the
// local_network alias when the datacenter defines one, else the subnet it
// detects (detected, here the subnet of the host's public address).
func (fw *pveFirewall) localNetwork(detected netip.Prefix) netip.Prefix {
	if a := fw.Aliases["local_network"]; a != nil {
		if p, err := netip.ParsePrefix(a.CIDR); err == nil {
			return p.Masked()
		}
		if ad, err := netip.ParseAddr(a.CIDR); err == nil {
			return netip.PrefixFrom(ad, ad.BitLen())
		}
	}
	return detected
}
