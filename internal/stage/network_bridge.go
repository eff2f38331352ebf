package stage

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/proxmox"
	"github.com/tripod-dev/tripod/internal/run"
)

// bridge gives host h the VM bridge (network.bridge, vmbr1) with the host's
// private address, on a VLAN interface that terminates the private VLAN,
// and applies it.
//
// Why on the VLAN interface and not VLAN-aware: both private networks are a
// single 802.1Q VLAN on the host's link (Dedibox RPNv2: the group's VLAN,
// the inventory's; Elastic Metal: a VLAN Scaleway assigns per server, which
// may differ between hosts). Terminating it under vmbr1 leaves VM NICs
// untagged and identical on every host, so a VM's config does not depend on
// where it runs and can migrate; a VLAN-aware bridge would put the tag in
// every VM's net0 and tie it to its host's VLAN.
func (s *network) bridge(ctx context.Context, st *run.Step, h inventory.HostPlan) error {
	e := s.env
	vlan, err := e.hostVLAN(st, h)
	if err != nil {
		return err
	}
	c, err := e.node(st, h.Name).API()
	if err != nil {
		return err
	}
	cur, err := networkConfig(ctx, c, h.Name)
	if err != nil {
		return err
	}
	want, err := e.wantBridge(cur.ifaces, h, vlan)
	if err != nil {
		return err
	}
	return e.applyBridge(ctx, st, c, h, cur, want)
}

// Request templates of a host's VM bridge.
const (
	reqIfaceCreate  = "POST /api2/json/nodes/{node}/network"
	reqIfaceUpdate  = "PUT /api2/json/nodes/{node}/network/{iface}"
	reqNetworkApply = "PUT /api2/json/nodes/{node}/network"
)

// planBridge lists, for a host not installed yet, the bridge built from
// nothing: the VLAN interface, the bridge, and applying them.
func (e *Env) planBridge(ctx context.Context, st *run.Step, h inventory.HostPlan) error {
	n := e.Cluster().Network
	return planOnly(ctx, st,
		run.Mutation{API: "proxmox", Verb: "create", Object: "VLAN interface of the private network on " + h.Name, Request: reqIfaceCreate},
		run.Mutation{API: "proxmox", Verb: "create", Object: fmt.Sprintf("bridge %s on %s", n.Bridge, h.Name), Detail: fmt.Sprintf("%s/%d on the private VLAN", h.PrivateAddress, n.Subnet.Bits()), Request: reqIfaceCreate},
		networkApplyMutation(h.Name))
}

// networkApplyMutation applies host's pending network changes.
func networkApplyMutation(host string) run.Mutation {
	return run.Mutation{API: "proxmox", Verb: "apply", Object: "network configuration of " + host, Request: reqNetworkApply}
}

// hostVLAN is the VLAN h's private traffic is tagged with: the one the
// private network target published, else (Dedibox) the inventory's.
func (e *Env) hostVLAN(st *run.Step, h inventory.HostPlan) (int, error) {
	if v, ok := factsOf(st).VLAN(h.Name); ok && v > 0 {
		return v, nil
	}
	if h.Provider == inventory.ElasticMetal {
		return 0, fmt.Errorf("no VLAN is known for %s's private network: the network stage's %s target publishes it", h.Name, privateNetworkTarget)
	}
	return e.Cluster().Network.VLAN, nil
}

// netConfig is a node's network as the API shows it: the pending config if
// there is one (with the diff against the running one), else the running.
type netConfig struct {
	ifaces  map[string]map[string]any
	changes string // the unified diff of pending changes, "" when none
}

func networkConfig(ctx context.Context, c *proxmox.Client, node string) (netConfig, error) {
	var env map[string]any
	err := c.Read(ctx, func(ctx context.Context) (err error) {
		env, err = c.Envelope(ctx, "/nodes/"+node+"/network")
		return err
	})
	if err != nil {
		return netConfig{}, err
	}
	out := netConfig{ifaces: map[string]map[string]any{}}
	out.changes, _ = env["changes"].(string)
	items, _ := env["data"].([]any)
	for _, it := range items {
		if i, _ := it.(map[string]any); i != nil {
			name, _ := i["iface"].(string)
			out.ifaces[name] = i
		}
	}
	return out, nil
}

// ifaceSpec is one interface tripod wants, as API parameters.
type ifaceSpec struct {
	name   string
	params map[string]any
}

// wantBridge is the VLAN interface and the bridge h needs. The VLAN rides
// the NIC the private network arrives on: on Dedibox the NIC no bridge or
// bond uses (RPNv2 has its own port) when there is one, on Elastic Metal the
// public link, i.e. the bridge holding the public address (vmbr0).
func (e *Env) wantBridge(ifaces map[string]map[string]any, h inventory.HostPlan, vlan int) ([]ifaceSpec, error) {
	raw := publicBridge(ifaces)
	if h.Provider != inventory.ElasticMetal {
		if nic := freeNIC(ifaces); nic != "" {
			raw = nic
		}
	}
	if raw == "" {
		return nil, fmt.Errorf("%s has no network interface to carry the private VLAN on", h.Name)
	}
	vif := raw + "." + strconv.Itoa(vlan)
	n := e.Cluster().Network
	return []ifaceSpec{
		{vif, map[string]any{"type": "vlan", "autostart": 1, "comments": "tripod: private network VLAN " + strconv.Itoa(vlan)}},
		{n.Bridge, map[string]any{"type": "bridge", "autostart": 1, "bridge_ports": vif, "bridge_vlan_aware": 0,
			"cidr": fmt.Sprintf("%s/%d", h.PrivateAddress, n.Subnet.Bits()), "comments": "tripod: VM bridge on the private network"}},
	}, nil
}

func publicBridge(ifaces map[string]map[string]any) string {
	for name, i := range ifaces {
		if i["type"] == "bridge" && i["gateway"] != nil {
			return name
		}
	}
	return ""
}

// freeNIC is the first physical NIC that is no bridge's or bond's port.
func freeNIC(ifaces map[string]map[string]any) string {
	used := map[string]bool{}
	for _, i := range ifaces {
		for _, k := range []string{"bridge_ports", "slaves"} {
			if s, _ := i[k].(string); s != "" {
				for _, p := range strings.Fields(s) {
					used[p] = true
				}
			}
		}
	}
	var nics []string
	for name, i := range ifaces {
		if i["type"] == "eth" && !used[name] {
			nics = append(nics, name)
		}
	}
	sort.Strings(nics)
	if len(nics) == 0 {
		return ""
	}
	return nics[0]
}

// applyBridge creates or corrects what differs and applies it, one
// request per interface and one to apply. Pending changes that are not
// ours are refused rather than applied along with ours.
func (e *Env) applyBridge(ctx context.Context, st *run.Step, c *proxmox.Client, h inventory.HostPlan, cur netConfig, want []ifaceSpec) error {
	ours := map[string]bool{want[0].name: true, want[1].name: true}
	if cur.changes != "" && !onlyTouches(cur.changes, ours) {
		return fmt.Errorf("%s has network changes pending that tripod did not make; apply or revert them (System > Network) and run again:\n%s", h.Name, cur.changes)
	}
	if old := cur.ifaces[want[1].name]; old != nil && old["cidr"] != nil && old["cidr"] != want[1].params["cidr"] {
		return fmt.Errorf("bridge %s on %s has address %v, the inventory says %v; tripod does not move a live host's private address (corosync and Ceph use it)", want[1].name, h.Name, old["cidr"], want[1].params["cidr"])
	}
	changed := false
	for _, w := range want {
		diff := ifaceDiff(cur.ifaces[w.name], w.params)
		if diff == "" {
			continue
		}
		changed = true
		if err := e.putIface(ctx, st, c, h.Name, cur.ifaces[w.name] != nil, w, diff); !sentOrPlanned(err) {
			return err
		}
	}
	if !changed && cur.changes == "" && num(cur.ifaces[want[1].name]["active"]) == 1 {
		st.Skip("bridge %s is up on %s with %s", want[1].name, h.Name, h.PrivateAddress)
		return nil
	}
	m := networkApplyMutation(h.Name)
	m.Detail = "pending changes of " + strings.Join(sortedNames(ours), ", ")
	return e.pveSend(ctx, st, m, proxmox.Request{Client: c, Method: "PUT", Path: "/nodes/" + h.Name + "/network", Wait: 5 * time.Minute})
}

// putIface stages one interface, created (POST) or corrected (PUT); the
// apply makes it live.
func (e *Env) putIface(ctx context.Context, st *run.Step, c *proxmox.Client, node string, exists bool, w ifaceSpec, diff string) error {
	what := "interface " + w.name
	if w.params["type"] == "bridge" {
		what = "bridge " + w.name
	}
	m := run.Mutation{Verb: "update", Object: what + " on " + node, Detail: diff, Request: reqIfaceUpdate}
	if exists {
		return e.pveSend(ctx, st, m, proxmox.Request{Client: c, Method: "PUT", Path: "/nodes/" + node + "/network/" + w.name, Params: w.params})
	}
	m.Verb, m.Detail, m.Request = "create", strings.TrimPrefix(str(w.params["comments"]), "tripod: "), reqIfaceCreate
	if cidr := str(w.params["cidr"]); cidr != "" {
		m.Detail += ", " + cidr
	}
	params := map[string]any{"iface": w.name}
	for k, v := range w.params {
		params[k] = v
	}
	staged := func(ctx context.Context) (bool, error) {
		cur, err := networkConfig(ctx, c, node)
		return cur.ifaces[w.name] != nil, err
	}
	return e.pveSend(ctx, st, m, proxmox.Request{Client: c, Method: "POST", Path: "/nodes/" + node + "/network", Params: params, Landed: staged})
}

// ifaceDiff names the parameters in which have differs from want ("" when
// equal; "missing" when absent).
func ifaceDiff(have map[string]any, want map[string]any) string {
	if have == nil {
		return "missing"
	}
	var diffs []string
	for _, k := range sortedNames(want) {
		if k == "comments" {
			continue
		}
		if fmt.Sprint(normal(have[k])) != fmt.Sprint(normal(want[k])) {
			diffs = append(diffs, fmt.Sprintf("%s %v, want %v", k, normal(have[k]), want[k]))
		}
	}
	return strings.Join(diffs, ", ")
}

// normal renders API values for comparison: absent booleans are 0, JSON
// numbers are integers.
func normal(v any) any {
	switch x := v.(type) {
	case nil:
		return 0
	case float64:
		return int(x)
	}
	return v
}

var diffStanza = regexp.MustCompile(`^[ +-](?:auto|iface) (\S+)`)

// onlyTouches reports whether every changed line of a pending network diff
// belongs to the stanza of one of the named interfaces.
func onlyTouches(diff string, names map[string]bool) bool {
	cur := ""
	for _, line := range strings.Split(diff, "\n") {
		if strings.HasPrefix(line, "---") || strings.HasPrefix(line, "+++") || strings.HasPrefix(line, "@@") || line == "" {
			continue
		}
		if m := diffStanza.FindStringSubmatch(line); m != nil {
			cur = m[1]
		}
		if (line[0] == '+' || line[0] == '-') && strings.TrimSpace(line[1:]) != "" && !names[cur] {
			return false
		}
	}
	return true
}

func sortedNames[T any](m map[string]T) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
