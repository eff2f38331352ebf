package proxmox_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	pxapi "github.com/Telmate/proxmox-api-go/proxmox"

	"github.com/tripod-dev/tripod/internal/sim/proxmox"
)

type netList struct {
	Data    []map[string]any `json:"data"`
	Changes string           `json:"changes"`
}

func networks(t *testing.T, c *pxapi.Client, node string) netList {
	t.Helper()
	body, err := c.GetNetworkList(context.Background(), node, "")
	if err != nil {
		t.Fatal(err)
	}
	var l netList
	if err := json.Unmarshal([]byte(body), &l); err != nil {
		t.Fatal(err)
	}
	return l
}

func iface(l netList, name string) map[string]any {
	for _, i := range l.Data {
		if i["iface"] == name {
			return i
		}
	}
	return nil
}

// privateNet gives a node the tool's private network: a VLAN-aware vmbr1
// on the second NIC and the node's address on VLAN 4000, applied.
func privateNet(t *testing.T, w *world, c *pxapi.Client, node, cidr string) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateNetwork(ctx, node, map[string]any{"iface": "vmbr1", "type": "bridge", "bridge_ports": "eno2", "bridge_vlan_aware": true, "autostart": true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateNetwork(ctx, node, map[string]any{"iface": "vmbr1.4000", "type": "vlan", "cidr": cidr, "autostart": true}); err != nil {
		t.Fatal(err)
	}
	// Not Telmate's ApplyNetwork: its 2 s poll interval would dominate the
	// scaled-time tests; the wire calls are the same.
	body, err := c.UpdateItemReturnStatus(ctx, nil, "/nodes/"+node+"/network")
	if err != nil {
		t.Fatal(err)
	}
	var resp struct{ Data string }
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatal(err)
	}
	if st := w.wait(c, resp.Data); st != "OK" {
		t.Fatalf("apply network on %s = %q", node, st)
	}
}

func TestNetworkPendingThenApplied(t *testing.T) {
	w := newWorld(t)
	w.addHost("pve1", "DC2", "198.51.100.11")
	c := w.client("pve1")
	ctx := context.Background()
	l := networks(t, c, "pve1")
	if v := iface(l, "vmbr0"); v == nil || v["address"] != "198.51.100.11" || v["active"] != 1.0 || l.Changes != "" {
		t.Fatalf("initial network = %+v", l)
	}
	if _, err := c.CreateNetwork(ctx, "pve1", map[string]any{"iface": "vmbr1", "type": "bridge", "bridge_ports": "eno9"}); apiErr(err) == nil || apiErr(err).Errors["bridge_ports"] == nil {
		t.Fatalf("bridge on a missing port = %v", err)
	}
	if _, err := c.CreateNetwork(ctx, "pve1", map[string]any{"iface": "vmbr1", "type": "bridge", "bridge_ports": "eno2", "bridge_vlan_aware": true, "autostart": true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateNetwork(ctx, "pve1", map[string]any{"iface": "vmbr1", "type": "bridge"}); apiErr(err) == nil || apiErr(err).Code != "400" {
		t.Fatalf("duplicate interface = %v; want 400", err)
	}
	if _, err := c.CreateNetwork(ctx, "pve1", map[string]any{"iface": "vmbr1.4000", "type": "vlan", "cidr": "10.20.0.11/24", "gateway": "10.20.0.1"}); apiErr(err) == nil || apiErr(err).Errors["gateway"] == nil {
		t.Fatalf("second default gateway = %v", err)
	}
	if _, err := c.CreateNetwork(ctx, "pve1", map[string]any{"iface": "vmbr1.4000", "type": "vlan", "cidr": "10.20.0.11/24", "autostart": true}); err != nil {
		t.Fatal(err)
	}
	l = networks(t, c, "pve1")
	if v := iface(l, "vmbr1"); v == nil || v["active"] != nil || v["bridge_vlan_aware"] != 1.0 || !strings.Contains(l.Changes, "+auto vmbr1") {
		t.Fatalf("pending network = %+v", l)
	}
	if st := w.sim.State(); len(st.Networks["pve1"]) == 0 || pendingOf(st.Networks["pve1"], "vmbr1") != "new" {
		t.Fatalf("State networks = %+v", st.Networks["pve1"])
	}
	if st, err := c.ApplyNetwork(ctx, "pve1"); err != nil || st != "OK" {
		t.Fatalf("apply = %q, %v", st, err)
	}
	l = networks(t, c, "pve1")
	if v := iface(l, "vmbr1.4000"); v == nil || v["active"] != 1.0 || v["cidr"] != "10.20.0.11/24" || v["vlan-id"] != "4000" || l.Changes != "" {
		t.Fatalf("applied network = %+v", l)
	}
}

func pendingOf(ifaces []proxmox.IfaceState, name string) string {
	for _, i := range ifaces {
		if i.Name == name {
			return i.Pending
		}
	}
	return "missing"
}
