package proxmox_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// PVE's management IP set always holds local_network: a neighbour in the
// host's public subnet reaches 22, 8006 and 3128 through a firewall that
// allows nothing, until the datacenter's alias local_network names another
// subnet. The alias API keeps PVE's semantics: names case-insensitive, a
// second create refused, a bad cidr a 400 naming it.
func TestFirewallLocalNetworkAlias(t *testing.T) {
	w := newWorld(t)
	w.addHost("pve1", "DC2", "198.51.100.11")
	const neighbour = "198.51.100.99"
	st, body := rawCall(t, w, "pve1", http.MethodPost, "/cluster/firewall/aliases", url.Values{"name": {"Local_Network"}, "cidr": {"10.0.0.0/24"}})
	if !strings.HasPrefix(st, "200") {
		t.Fatalf("create alias: %s %v", st, body)
	}
	if st, _ := rawCall(t, w, "pve1", http.MethodPost, "/cluster/firewall/aliases", url.Values{"name": {"local_network"}, "cidr": {"10.0.0.0/24"}}); !strings.HasPrefix(st, "500") {
		t.Fatalf("a second create of the same alias: %s", st)
	}
	st, body = rawCall(t, w, "pve1", http.MethodPost, "/cluster/firewall/aliases", url.Values{"name": {"other"}, "cidr": {"10.0.0.300/24"}})
	if errs, _ := body["errors"].(map[string]any); !strings.HasPrefix(st, "400") || errs["cidr"] == nil {
		t.Fatalf("a bad cidr: %s %v", st, body)
	}
	_, body = rawCall(t, w, "pve1", http.MethodGet, "/cluster/firewall/aliases", nil)
	list, _ := body["data"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["name"] != "local_network" || list[0].(map[string]any)["cidr"] != "10.0.0.0/24" {
		t.Fatalf("aliases = %v", body)
	}
	// Enabled with one rule, 8006 from the operator's range (for these
	// calls): a neighbour gets in only by the management set.
	rawCall(t, w, "pve1", http.MethodPost, "/cluster/firewall/rules",
		url.Values{"type": {"in"}, "action": {"ACCEPT"}, "proto": {"tcp"}, "dport": {"8006"}, "enable": {"1"}, "source": {"203.0.113.0/24"}})
	rawCall(t, w, "pve1", http.MethodPut, "/cluster/firewall/aliases/local_network", url.Values{"cidr": {"198.51.100.0/24"}})
	if st, _ := rawCall(t, w, "pve1", http.MethodPut, "/cluster/firewall/options", url.Values{"enable": {"1"}}); !strings.HasPrefix(st, "200") {
		t.Fatalf("enable: %s", st)
	}
	if ex, _ := w.sim.Exposure(neighbour, "pve1"); strings.Join(ex.Accepts, " ") != "22/tcp 8006/tcp 3128/tcp" {
		t.Fatalf("with local_network the public /24, the neighbour reaches %v", ex.Accepts)
	}
	if st, _ := rawCall(t, w, "pve1", http.MethodPut, "/cluster/firewall/aliases/LOCAL_NETWORK", url.Values{"cidr": {"10.0.0.0/24"}}); !strings.HasPrefix(st, "200") {
		t.Fatalf("update alias: %s", st)
	}
	if ex, _ := w.sim.Exposure(neighbour, "pve1"); len(ex.Accepts) != 0 {
		t.Fatalf("with local_network the private subnet, the neighbour reaches %v", ex.Accepts)
	}
}
