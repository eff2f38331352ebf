package talos

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"

	"github.com/tripod-dev/tripod/internal/inventory"
)

var fixedClock = secrets.NewFixedClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))

func loadInventory(t *testing.T, path string) *inventory.Loaded {
	t.Helper()
	inv, err := inventory.Load(path)
	if err != nil {
		t.Fatalf("inventory %s: %v", path, err)
	}
	return inv
}

// bundles caches one bundle per version: generating one takes a while
// under the race detector, and tests only read them.
var bundles sync.Map

func testBundle(t *testing.T, version string) (*secrets.Bundle, []byte) {
	t.Helper()
	v, ok := bundles.Load(version)
	if !ok {
		data, err := NewBundle(fixedClock, version)
		if err != nil {
			t.Fatal(err)
		}
		v, _ = bundles.LoadOrStore(version, data)
	}
	data := v.([]byte)
	b, err := LoadBundle(data)
	if err != nil {
		t.Fatal(err)
	}
	return b, data
}

func renderAll(t *testing.T, inv *inventory.Loaded, b *secrets.Bundle) map[string][]byte {
	t.Helper()
	r, err := NewRenderer(inv, b)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, vm := range inv.Layout.VMs {
		got, err := r.Render(vm)
		if err != nil {
			t.Fatalf("%s: %v", vm.Name, err)
		}
		out[vm.Name] = got.Bytes
	}
	return out
}

// TestRenderIsDeterministic: a bundle reloaded from its YAML renders the
// same bytes as the bundle that was generated, every time.
func TestRenderIsDeterministic(t *testing.T) {
	inv := loadInventory(t, "../../inventories/lab.yaml")
	b, data := testBundle(t, inv.Cluster.Talos.Version)
	first := renderAll(t, inv, b)
	again, err := LoadBundle(data)
	if err != nil {
		t.Fatal(err)
	}
	second := renderAll(t, inv, again)
	for name, cfg := range first {
		if !bytes.Equal(cfg, second[name]) {
			t.Errorf("%s: a second render differs", name)
		}
	}
}

func TestRenderedConfigsCarryTheLayout(t *testing.T) {
	for _, path := range []string{"../../inventories/lab.yaml", "../../inventories/prod-3az.yaml"} {
		t.Run(path, func(t *testing.T) {
			inv := loadInventory(t, path)
			b, _ := testBundle(t, inv.Cluster.Talos.Version)
			configs := renderAll(t, inv, b)
			for _, vm := range inv.Layout.VMs {
				cfg, err := configloader.NewFromBytes(configs[vm.Name])
				if err != nil {
					t.Fatalf("%s: %v", vm.Name, err)
				}
				checkNode(t, inv, vm, cfg)
			}
		})
	}
}

func checkNode(t *testing.T, inv *inventory.Loaded, vm inventory.VMPlan, cfg config.Provider) {
	t.Helper()
	c := inv.Cluster
	subnet := c.Network.Subnet.Masked().String()
	if _, err := cfg.Validate(metalMode{}); err != nil {
		t.Errorf("%s does not validate: %v", vm.Name, err)
	}
	if h := cfg.NetworkHostnameConfig(); h == nil || h.Hostname() != vm.Name {
		t.Errorf("%s: hostname %v", vm.Name, h)
	}
	labels := cfg.Machine().NodeLabels()
	if labels[ZoneLabel] != vm.AZ || labels[RegionLabel] != c.Scaleway.Region {
		t.Errorf("%s: labels %v", vm.Name, labels)
	}
	if img := cfg.Machine().Install().Image(); img != "factory.talos.dev/installer/"+c.Talos.Schematic+":"+c.Talos.Version {
		t.Errorf("%s: install image %q", vm.Name, img)
	}
	if d := cfg.Machine().Install().Disk(); d != c.Talos.InstallDisk {
		t.Errorf("%s: install disk %q", vm.Name, d)
	}
	if got := cfg.Machine().Kubelet().NodeIP().ValidSubnets(); !slices.Equal(got, []string{subnet}) {
		t.Errorf("%s: kubelet validSubnets %v", vm.Name, got)
	}
	if got := cfg.Cluster().Network().PodCIDRs(); !slices.Equal(got, []string{c.Talos.PodSubnet.String()}) {
		t.Errorf("%s: pod subnets %v", vm.Name, got)
	}
	if got := cfg.Cluster().Network().ServiceCIDRs(); !slices.Equal(got, []string{c.Talos.ServiceSubnet.String()}) {
		t.Errorf("%s: service subnets %v", vm.Name, got)
	}
	checkNetwork(t, inv, vm, cfg)
	cp := vm.Type == inventory.ControlPlaneNode
	if cp && !slices.Equal(cfg.Cluster().Etcd().AdvertisedSubnets(), []string{subnet}) {
		t.Errorf("%s: etcd advertisedSubnets %v", vm.Name, cfg.Cluster().Etcd().AdvertisedSubnets())
	}
	if got := cfg.RawV1Alpha1().MachineConfig.MachineSysctls["vm.max_map_count"]; got != "262144" {
		t.Errorf("%s: templates/common.yaml not applied: vm.max_map_count %q", vm.Name, got)
	}
}

func checkNetwork(t *testing.T, inv *inventory.Loaded, vm inventory.VMPlan, cfg config.Provider) {
	t.Helper()
	c := inv.Cluster
	want := netip.PrefixFrom(vm.Address, c.Network.Subnet.Bits())
	links := cfg.NetworkCommonLinkConfigs()
	if len(links) != 1 || links[0].Name() != LinkAlias || len(links[0].Addresses()) != 1 || links[0].Addresses()[0].Address() != want {
		t.Fatalf("%s: links %+v, want %s on %s", vm.Name, links, want, LinkAlias)
	}
	host, _ := inv.Layout.Host(vm.Host)
	if gw, ok := links[0].Routes()[0].Gateway().Get(); !ok || gw != host.PrivateAddress {
		t.Errorf("%s: default route via %v, want its host %s's address %s", vm.Name, gw, host.Name, host.PrivateAddress)
	}
	if ts := cfg.NetworkTimeSyncConfig(); ts == nil || !slices.Equal(ts.Servers(), c.Network.TimeServers) {
		t.Errorf("%s: time servers %v, want network.timeServers %v", vm.Name, ts, c.Network.TimeServers)
	}
	if r := cfg.NetworkResolverConfig(); r == nil || !slices.Equal(r.Resolvers(), c.Network.DNS) {
		t.Errorf("%s: resolvers %v", vm.Name, r)
	}
	vips := cfg.NetworkVirtualIPConfigs()
	wantVIP := vm.Type == inventory.ControlPlaneNode && c.Talos.VIP.IsValid()
	if wantVIP != (len(vips) == 1) || (wantVIP && (vips[0].VIP() != c.Talos.VIP || vips[0].Link() != LinkAlias)) {
		t.Errorf("%s: VIPs %v (want one: %v)", vm.Name, vips, wantVIP)
	}
}

func TestControlPlanePatchOnlyOnControlPlanes(t *testing.T) {
	inv := loadInventory(t, "../../inventories/prod-3az.yaml")
	b, _ := testBundle(t, inv.Cluster.Talos.Version)
	configs := renderAll(t, inv, b)
	for _, vm := range inv.Layout.VMs {
		cfg, err := configloader.NewFromBytes(configs[vm.Name])
		if err != nil {
			t.Fatal(err)
		}
		got := cfg.Cluster().Etcd().ExtraArgs()["auto-compaction-retention"]
		if want := vm.Type == inventory.ControlPlaneNode; want != slices.Equal(got, []string{"2h"}) {
			t.Errorf("%s (%s): etcd extraArgs %v", vm.Name, vm.Type, cfg.Cluster().Etcd().ExtraArgs())
		}
		// tripod tunnel's talosconfig names 127.0.0.1 as the endpoint.
		if want := vm.Type == inventory.ControlPlaneNode; want != slices.Contains(cfg.Machine().Security().CertSANs(), TunnelSAN) {
			t.Errorf("%s (%s): certSANs %v, want %s only on control planes", vm.Name, vm.Type, cfg.Machine().Security().CertSANs(), TunnelSAN)
		}
	}
}

// withPatches loads lab.yaml with extra inline patches appended.
func withPatches(t *testing.T, patches string) *inventory.Loaded {
	t.Helper()
	data, err := os.ReadFile("../../inventories/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), "    - file: ../templates/common.yaml\n", "    - file: ../templates/common.yaml\n"+patches, 1)
	inv, err := inventory.LoadBytes("lab.yaml", []byte(text), "../../inventories")
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func TestBrokenInlinePatchNamesNodePatchAndMessage(t *testing.T) {
	inv := withPatches(t, "    - inline:\n        machine:\n          kubelet:\n            nodeIP:\n              validSubnets: [not-a-subnet]\n      target: worker\n")
	b, _ := testBundle(t, inv.Cluster.Talos.Version)
	r, err := NewRenderer(inv, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, vm := range inv.Layout.VMs {
		_, err := r.Render(vm)
		if vm.Type == inventory.ControlPlaneNode {
			if err != nil {
				t.Errorf("%s: a worker-only patch failed a control plane: %v", vm.Name, err)
			}
			continue
		}
		var pe *PatchError
		if !errors.As(err, &pe) || pe.Node != vm.Name || pe.Patch != "talos.patches[1] (inline)" {
			t.Fatalf("%s: want a PatchError naming the node and patch, got %v", vm.Name, err)
		}
		if msg := err.Error(); !strings.Contains(msg, vm.Name) || !strings.Contains(msg, "talos.patches[1] (inline)") || !strings.Contains(msg, "not-a-subnet") {
			t.Errorf("message lacks node, patch or validation text: %s", msg)
		}
	}
}

func TestJSON6902PatchEditsTheV1Alpha1Document(t *testing.T) {
	inv := withPatches(t, "    - inline:\n        - op: add\n          path: /machine/nodeLabels/tier\n          value: gold\n")
	b, _ := testBundle(t, inv.Cluster.Talos.Version)
	configs := renderAll(t, inv, b)
	for _, vm := range inv.Layout.VMs {
		cfg, err := configloader.NewFromBytes(configs[vm.Name])
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Machine().NodeLabels()["tier"] != "gold" || cfg.NetworkHostnameConfig().Hostname() != vm.Name {
			t.Errorf("%s: JSON6902 patch not applied or documents lost", vm.Name)
		}
	}
}
