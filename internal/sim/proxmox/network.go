package proxmox

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// netState is a node's /etc/network/interfaces (Running, what ifupdown2
// applied) and /etc/network/interfaces.new (Pending, the API's staged edits,
// nil when there are none), exactly the split PVE's network API exposes.
type netState struct {
	Running map[string]*iface `json:"running"`
	Pending map[string]*iface `json:"pending,omitempty"`
}

// iface is one interface stanza.
type iface struct {
	Name          string `json:"iface"`
	Type          string `json:"type"` // eth, bridge, vlan, bond
	Method        string `json:"method"`
	Address       string `json:"address,omitempty"`
	Prefix        int    `json:"prefix,omitempty"`
	Gateway       string `json:"gateway,omitempty"`
	BridgePorts   string `json:"bridge_ports,omitempty"`
	VLANAware     bool   `json:"bridge_vlan_aware,omitempty"`
	BridgeVIDs    string `json:"bridge_vids,omitempty"`
	VLANID        int    `json:"vlan_id,omitempty"`
	VLANRawDevice string `json:"vlan_raw_device,omitempty"`
	Slaves        string `json:"slaves,omitempty"`
	BondMode      string `json:"bond_mode,omitempty"`
	Autostart     bool   `json:"autostart"`
	MTU           int    `json:"mtu,omitempty"`
	Comments      string `json:"comments,omitempty"`
}

// defaultNet is the network a Scaleway Proxmox VE install leaves: the public
// address on vmbr0 over the first NIC, a second NIC unconfigured.
func defaultNet(h simcore.HostInfo) *netState {
	gw := ""
	if ip := net.ParseIP(h.PublicIP).To4(); ip != nil {
		gw = fmt.Sprintf("%d.%d.%d.1", ip[0], ip[1], ip[2])
	}
	return &netState{Running: map[string]*iface{
		"eno1":  {Name: "eno1", Type: "eth", Method: "manual"},
		"eno2":  {Name: "eno2", Type: "eth", Method: "manual"},
		"vmbr0": {Name: "vmbr0", Type: "bridge", Method: "static", Address: h.PublicIP, Prefix: 24, Gateway: gw, BridgePorts: "eno1", Autostart: true},
	}}
}

// config is what the API shows and edits: the pending file if any.
func (s *netState) config() map[string]*iface {
	if s.Pending != nil {
		return s.Pending
	}
	return s.Running
}

// edit returns the pending config, copying the running one on first edit.
func (s *netState) edit() map[string]*iface {
	if s.Pending == nil {
		s.Pending = map[string]*iface{}
		for k, v := range s.Running {
			cp := *v
			s.Pending[k] = &cp
		}
	}
	return s.Pending
}

// active reports whether an interface is up: physical NICs always (links
// are plugged), others when applied with autostart.
func (s *netState) active(name string) bool {
	i := s.Running[name]
	return i != nil && (i.Type == "eth" || i.Autostart)
}

// addresses lists the node's active IPv4 addresses with their networks.
func (s *netState) addresses() []*net.IPNet {
	var out []*net.IPNet
	for _, name := range sortedIfaces(s.Running) {
		i := s.Running[name]
		if i.Address == "" || !s.active(name) {
			continue
		}
		if _, ipn, err := net.ParseCIDR(i.Address + "/" + strconv.Itoa(i.Prefix)); err == nil {
			ipn.IP = net.ParseIP(i.Address)
			out = append(out, ipn)
		}
	}
	return out
}

// hasAddress reports whether ip is configured and up on the node.
func (s *netState) hasAddress(ip string) bool {
	for _, a := range s.addresses() {
		if a.IP.String() == ip {
			return true
		}
	}
	return false
}

func ifacePriority(i *iface) int {
	switch i.Type {
	case "eth":
		return 1
	case "bond":
		return 2
	case "bridge":
		return 3
	default:
		return 4
	}
}

func sortedIfaces(m map[string]*iface) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Slice(names, func(a, b int) bool {
		pa, pb := ifacePriority(m[names[a]]), ifacePriority(m[names[b]])
		if pa != pb {
			return pa < pb
		}
		return names[a] < names[b]
	})
	return names
}

// render writes the interfaces file the way PVE's writer lays it out.
func render(m map[string]*iface) []string {
	lines := []string{"auto lo", "iface lo inet loopback", ""}
	for _, name := range sortedIfaces(m) {
		i := m[name]
		if i.Autostart {
			lines = append(lines, "auto "+name)
		}
		lines = append(lines, "iface "+name+" inet "+i.Method)
		if i.Address != "" {
			lines = append(lines, "\taddress "+i.Address+"/"+strconv.Itoa(i.Prefix))
		}
		if i.Gateway != "" {
			lines = append(lines, "\tgateway "+i.Gateway)
		}
		if i.Type == "bridge" {
			ports := i.BridgePorts
			if ports == "" {
				ports = "none"
			}
			lines = append(lines, "\tbridge-ports "+ports, "\tbridge-stp off", "\tbridge-fd 0")
			if i.VLANAware {
				vids := i.BridgeVIDs
				if vids == "" {
					vids = "2-4094"
				}
				lines = append(lines, "\tbridge-vlan-aware yes", "\tbridge-vids "+vids)
			}
		}
		if i.VLANRawDevice != "" && !strings.Contains(name, ".") {
			lines = append(lines, "\tvlan-raw-device "+i.VLANRawDevice)
		}
		if i.Slaves != "" {
			lines = append(lines, "\tbond-slaves "+i.Slaves, "\tbond-miimon 100", "\tbond-mode "+i.BondMode)
		}
		if i.MTU > 0 {
			lines = append(lines, "\tmtu "+strconv.Itoa(i.MTU))
		}
		if i.Comments != "" {
			lines = append(lines, "#"+i.Comments)
		}
		lines = append(lines, "")
	}
	return append(lines, "source /etc/network/interfaces.d/*")
}

// diff is a minimal unified diff (one hunk) of two line lists, as the
// "changes" attribute of GET /nodes/{node}/network shows pending edits.
func diff(a, b []string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- /etc/network/interfaces\n+++ /etc/network/interfaces.new\n@@ -1,%d +1,%d @@\n", len(a), len(b))
	for _, op := range simcore.LineOps(a, b, true) {
		sb.WriteString(string(op.Kind) + op.Text + "\n")
	}
	return sb.String()
}
