package proxmox

import (
	"net"
	"strconv"
	"strings"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

var ifaceParams = []string{"type!", "address", "netmask", "cidr", "gateway", "address6", "netmask6", "cidr6", "gateway6",
	"autostart", "bridge_ports", "bridge_vlan_aware", "bridge_vids", "bond-primary", "bond_mode", "bond_xmit_hash_policy",
	"slaves", "comments", "comments6", "mtu", "vlan-id", "vlan-raw-device", "vlan-protocol"}

func (c *Cluster) networkRoutes() []route {
	createSpec := spec(append([]string{"iface!"}, ifaceParams...)...)
	updateSpec := spec(append([]string{"delete"}, ifaceParams...)...)
	return []route{
		{"GET /nodes/{node}/network", false, permAll, spec("type"), c.listNetwork},
		{"POST /nodes/{node}/network", true, privCheck("/nodes/{node}", "Sys.Modify"), createSpec, c.createIface},
		{"PUT /nodes/{node}/network", true, privCheck("/nodes/{node}", "Sys.Modify"), spec(), c.applyNetworkAPI},
		{"DELETE /nodes/{node}/network", true, privCheck("/nodes/{node}", "Sys.Modify"), spec(), c.revertNetwork},
		{"GET /nodes/{node}/network/{iface}", false, privCheck("/nodes/{node}", "Sys.Audit"), spec(), c.getIface},
		{"PUT /nodes/{node}/network/{iface}", true, privCheck("/nodes/{node}", "Sys.Modify"), updateSpec, c.updateIface},
		{"DELETE /nodes/{node}/network/{iface}", true, privCheck("/nodes/{node}", "Sys.Modify"), spec(), c.deleteIface},
	}
}

// ifaceJSON is an interface as the API lists it.
func ifaceJSON(s *netState, i *iface) map[string]any {
	e := map[string]any{"iface": i.Name, "type": i.Type, "method": i.Method, "method6": "manual",
		"families": []string{"inet"}, "priority": ifacePriority(i)}
	if s.active(i.Name) {
		e["active"] = 1
	}
	if i.Autostart {
		e["autostart"] = 1
	}
	if i.Type == "eth" {
		e["exists"] = 1
	}
	if i.Address != "" {
		e["address"], e["netmask"] = i.Address, strconv.Itoa(i.Prefix)
		e["cidr"] = i.Address + "/" + strconv.Itoa(i.Prefix)
	}
	set := func(k, v string) {
		if v != "" {
			e[k] = v
		}
	}
	set("gateway", i.Gateway)
	set("comments", i.Comments)
	if i.Type == "bridge" {
		e["bridge_ports"], e["bridge_stp"], e["bridge_fd"] = i.BridgePorts, "off", "0"
		if i.VLANAware {
			e["bridge_vlan_aware"] = 1
			set("bridge_vids", i.BridgeVIDs)
		}
	}
	if i.Type == "vlan" {
		// pveproxy serialises /etc/network/interfaces as read: strings.
		e["vlan-id"], e["vlan-raw-device"] = strconv.Itoa(i.VLANID), i.VLANRawDevice
	}
	if i.Type == "bond" {
		e["slaves"], e["bond_mode"] = i.Slaves, i.BondMode
	}
	if i.MTU > 0 {
		e["mtu"] = strconv.Itoa(i.MTU)
	}
	return e
}

func (c *Cluster) listNetwork(q *call) (any, error) {
	s := q.node.Net
	typ := q.str("type")
	out := []map[string]any{}
	cfg := s.config()
	for _, name := range sortedIfaces(cfg) {
		i := cfg[name]
		if typ != "" && typ != i.Type && !(typ == "any_bridge" && i.Type == "bridge") {
			continue
		}
		out = append(out, ifaceJSON(s, i))
	}
	if s.Pending != nil {
		q.attrs = map[string]any{"changes": diff(render(s.Running), render(s.Pending))}
	}
	return out, nil
}

func (c *Cluster) getIface(q *call) (any, error) {
	i := q.node.Net.config()[q.r.PathValue("iface")]
	if i == nil {
		return nil, paramErr(map[string]string{"iface": "interface does not exist"})
	}
	return ifaceJSON(q.node.Net, i), nil
}

func (c *Cluster) createIface(q *call) (any, error) {
	cfg := q.node.Net.config()
	name := q.str("iface")
	if cfg[name] != nil {
		return nil, paramErr(map[string]string{"iface": "interface already exists"})
	}
	i := &iface{Name: name, Type: q.str("type"), Method: "manual"}
	if aerr := setIfaceParams(q, cfg, i); aerr != nil {
		return nil, aerr
	}
	q.node.Net.edit()[name] = i
	return nil, nil
}

func (c *Cluster) updateIface(q *call) (any, error) {
	cfg := q.node.Net.config()
	name := q.r.PathValue("iface")
	old := cfg[name]
	if old == nil {
		return nil, paramErr(map[string]string{"iface": "interface does not exist"})
	}
	i := *old
	for _, d := range strings.FieldsFunc(q.str("delete"), func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
		switch d {
		case "address", "netmask", "cidr":
			i.Address, i.Prefix, i.Method = "", 0, "manual"
		case "gateway":
			i.Gateway = ""
		case "comments":
			i.Comments = ""
		case "mtu":
			i.MTU = 0
		}
	}
	i.Type = q.str("type")
	if aerr := setIfaceParams(q, cfg, &i); aerr != nil {
		return nil, aerr
	}
	q.node.Net.edit()[name] = &i
	return nil, nil
}

func (c *Cluster) deleteIface(q *call) (any, error) {
	name := q.r.PathValue("iface")
	if q.node.Net.config()[name] == nil {
		return nil, paramErr(map[string]string{"iface": "interface does not exist"})
	}
	delete(q.node.Net.edit(), name)
	return nil, nil
}

func (c *Cluster) revertNetwork(q *call) (any, error) {
	q.node.Net.Pending = nil
	return nil, nil
}

// applyNetworkAPI is PUT /nodes/{node}/network: ifreload -a as a task.
func (c *Cluster) applyNetworkAPI(q *call) (any, error) {
	t := c.newTask(q.node, "srvreload", "networking", q.who, simcore.OpPVETask)
	t.Kind = "srvreload"
	t.logf("info: executing /usr/share/ifupdown2/__main__.py reload -a")
	return t.UPID, nil
}

func (c *Cluster) applyNetwork(n *node, _ *task) {
	if n.Net.Pending != nil {
		n.Net.Running, n.Net.Pending = n.Net.Pending, nil
	}
}

// setIfaceParams validates and sets an interface's parameters.
func setIfaceParams(q *call, cfg map[string]*iface, i *iface) *apiError {
	switch i.Type {
	case "bridge", "vlan", "bond":
	case "eth":
		if cfg[i.Name] == nil {
			return paramErr(map[string]string{"type": "can't create physical interface"})
		}
	default:
		return paramErr(map[string]string{"type": "value '" + i.Type + "' does not have a value in the enumeration 'bridge, bond, eth, alias, vlan, OVSBridge, OVSBond, OVSPort, OVSIntPort, unknown'"})
	}
	if q.has("autostart") {
		i.Autostart = q.boolOr("autostart", false)
	}
	if aerr := setAddress(q, cfg, i); aerr != nil {
		return aerr
	}
	if q.has("comments") {
		i.Comments = q.str("comments")
	}
	if q.has("mtu") {
		i.MTU = q.intOr("mtu", 0)
	}
	switch i.Type {
	case "bridge":
		return setBridge(q, cfg, i)
	case "vlan":
		return setVLAN(q, cfg, i)
	case "bond":
		i.Slaves, i.BondMode = q.str("slaves"), q.str("bond_mode")
	}
	return nil
}

func setAddress(q *call, cfg map[string]*iface, i *iface) *apiError {
	addr, prefix := q.str("address"), q.str("netmask")
	if cidr := q.str("cidr"); cidr != "" {
		addr, prefix, _ = strings.Cut(cidr, "/")
	}
	if addr != "" {
		if net.ParseIP(addr).To4() == nil {
			return paramErr(map[string]string{"address": "value does not look like a valid IPv4 address"})
		}
		p, err := strconv.Atoi(prefix)
		if m := net.ParseIP(prefix).To4(); m != nil {
			p, _ = net.IPMask(m).Size()
			err = nil
		}
		if err != nil || p < 1 || p > 32 {
			return paramErr(map[string]string{"netmask": "address and netmask/cidr required"})
		}
		i.Address, i.Prefix, i.Method = addr, p, "static"
	}
	if gw := q.str("gateway"); gw != "" {
		for name, other := range cfg {
			if name != i.Name && other.Gateway != "" {
				return paramErr(map[string]string{"gateway": "Default gateway already exists on interface '" + name + "'."})
			}
		}
		i.Gateway = gw
	}
	return nil
}

func setBridge(q *call, cfg map[string]*iface, i *iface) *apiError {
	if q.has("bridge_ports") {
		i.BridgePorts = strings.Join(strings.Fields(strings.ReplaceAll(q.str("bridge_ports"), ",", " ")), " ")
	}
	for _, port := range strings.Fields(i.BridgePorts) {
		if p := cfg[port]; p == nil && !strings.Contains(port, ".") {
			return paramErr(map[string]string{"bridge_ports": "unable to find bridge port '" + port + "'"})
		}
	}
	if q.has("bridge_vlan_aware") {
		i.VLANAware = q.boolOr("bridge_vlan_aware", false)
	}
	if q.has("bridge_vids") {
		i.BridgeVIDs = q.str("bridge_vids")
	}
	return nil
}

// setVLAN accepts "raw.ID" names and "vlanID" names with vlan-raw-device.
func setVLAN(q *call, cfg map[string]*iface, i *iface) *apiError {
	raw, id := q.str("vlan-raw-device"), q.intOr("vlan-id", 0)
	if r, tag, ok := strings.Cut(i.Name, "."); ok {
		raw = r
		id, _ = strconv.Atoi(tag)
	} else if tag, ok := strings.CutPrefix(i.Name, "vlan"); ok && id == 0 {
		id, _ = strconv.Atoi(tag)
	}
	if raw == "" {
		return paramErr(map[string]string{"vlan-raw-device": "vlan-raw-device is required for interface '" + i.Name + "'"})
	}
	if cfg[raw] == nil {
		return paramErr(map[string]string{"vlan-raw-device": "vlan-raw-device '" + raw + "' does not exist"})
	}
	if id < 1 || id > 4094 {
		return paramErr(map[string]string{"vlan-id": "invalid vlan tag"})
	}
	i.VLANRawDevice, i.VLANID = raw, id
	return nil
}
