package talos

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/siderolabs/talos/pkg/machinery/config/configpatcher"
	"gopkg.in/yaml.v3"

	"github.com/tripod-dev/tripod/internal/inventory"
)

// LinkAlias is the name tripod's network documents give the VM's private
// NIC. The VM has one virtio NIC on the private bridge; naming it through a
// selector keeps configs independent of the kernel's interface naming.
const LinkAlias = "private"

// linkSelector matches the VM's NIC: Proxmox VMs get virtio-net, and tripod
// attaches exactly one.
const linkSelector = `link.driver == "virtio_net"`

// TunnelSAN is the address tripod tunnel's local forwards listen on, which
// every control plane's Talos API certificate carries.
const TunnelSAN = "127.0.0.1"

// Label keys tripod sets on every node.
const (
	ZoneLabel   = "topology.kubernetes.io/zone"
	RegionLabel = "topology.kubernetes.io/region"
)

// nodePatch is tripod's own patch for one node, as talosctl patch documents:
// the v1alpha1 settings first, then one network document each.
func nodePatch(c *inventory.Cluster, vm inventory.VMPlan) (configpatcher.Patch, error) {
	subnet := c.Network.Subnet.Masked().String()
	machine := map[string]any{
		"nodeLabels": map[string]string{ZoneLabel: vm.AZ, RegionLabel: c.Scaleway.Region},
		"kubelet":    map[string]any{"nodeIP": map[string]any{"validSubnets": []string{subnet}}},
	}
	v1 := map[string]any{"machine": machine}
	if vm.Type == inventory.ControlPlaneNode {
		// etcd must peer over the private network, not whatever address a
		// node happens to list first.
		v1["cluster"] = map[string]any{"etcd": map[string]any{"advertisedSubnets": []string{subnet}}}
		// tripod tunnel points talosctl at local forwards on 127.0.0.1,
		// and apid's certificate names only the node's own addresses and
		// these SANs: without it the client could not verify the node.
		machine["certSANs"] = []string{TunnelSAN}
	}
	docs := []any{v1,
		doc("HostnameConfig", map[string]any{"hostname": vm.Name, "auto": "off"}),
		doc("LinkAliasConfig", map[string]any{"name": LinkAlias, "selector": map[string]any{"match": linkSelector}}),
		doc("LinkConfig", map[string]any{"name": LinkAlias,
			"addresses": []any{map[string]any{"address": fmt.Sprintf("%s/%d", vm.Address, c.Network.Subnet.Bits())}},
			"routes":    []any{map[string]any{"gateway": vm.Gateway.String()}}}),
	}
	if len(c.Network.DNS) > 0 {
		var ns []any
		for _, a := range c.Network.DNS {
			ns = append(ns, map[string]any{"address": a.String()})
		}
		docs = append(docs, doc("ResolverConfig", map[string]any{"nameservers": ns}))
	}
	if len(c.Network.TimeServers) > 0 {
		docs = append(docs, doc("TimeSyncConfig", map[string]any{"ntp": map[string]any{"servers": c.Network.TimeServers}}))
	}
	if vm.Type == inventory.ControlPlaneNode && c.Talos.VIP.IsValid() {
		docs = append(docs, doc("Layer2VIPConfig", map[string]any{"name": c.Talos.VIP.String(), "link": LinkAlias}))
	}
	data, err := encodeDocs(docs)
	if err != nil {
		return nil, err
	}
	p, err := configpatcher.LoadPatch(data)
	if err != nil {
		return nil, fmt.Errorf("tripod's own patch for %s does not load: %w", vm.Name, err)
	}
	return p, nil
}

func doc(kind string, fields map[string]any) map[string]any {
	fields["apiVersion"], fields["kind"] = "v1alpha1", kind
	return fields
}

func encodeDocs(docs []any) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	for _, d := range docs {
		if err := enc.Encode(d); err != nil {
			return nil, fmt.Errorf("failed to encode a patch document: %w", err)
		}
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// userPatch is one of the inventory's talos.patches, loaded.
type userPatch struct {
	Source string // "talos.patches[1] (../templates/controlplane.yaml)"
	Path   string // "talos.patches[1]", its inventory path
	Target inventory.PatchTarget
	Patch  configpatcher.Patch
}

func (p userPatch) appliesTo(t inventory.MachineType) bool {
	return p.Target == "" || p.Target == inventory.TargetAll || string(p.Target) == string(t)
}

// loadUserPatches reads the inventory's patches, files relative to dir.
func loadUserPatches(patches []inventory.Patch, dir string) ([]userPatch, error) {
	var out []userPatch
	for i, p := range patches {
		path := fmt.Sprintf("talos.patches[%d]", i)
		src := path + " (inline)"
		data := []byte(p.Inline.Text)
		if p.File != "" {
			src = fmt.Sprintf("%s (%s)", path, p.File)
			b, err := os.ReadFile(filepath.Join(dir, p.File))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", src, err)
			}
			data = b
		}
		lp, err := configpatcher.LoadPatch(data)
		if err != nil {
			return nil, fmt.Errorf("%s: not a talosctl patch (strategic merge or JSON6902): %w", src, err)
		}
		out = append(out, userPatch{Source: src, Path: path, Target: p.Target, Patch: lp})
	}
	return out, nil
}
