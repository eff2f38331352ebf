package cli

import (
	"fmt"
	"strings"

	"github.com/tripod-dev/tripod/internal/inventory"
)

// renderStarter writes the starter inventory, each section with a comment
// saying what it is for and where its defaults come from.
func renderStarter(f *initFlags) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("# %s: a starter tripod inventory written by `tripod init`.\n", f.name)
	w("# Every field, its default and its limits: `tripod schema`, or docs/inventory.md.\n")
	w("# Check it with `tripod validate -i FILE`; `tripod plan -i FILE` lists what would be ordered.\n")
	w("apiVersion: %s\nkind: Cluster\nname: %s\n", inventory.APIVersion, f.name)
	w("scaleway:\n  # Servers are ordered in this region; credentials come from the Scaleway\n")
	w("  # profile or SCW_* variables, and the project defaults to the profile's.\n")
	w("  region: %s\n", regionOf(f.provider, f.places[0]))
	w("# Exactly three AZs, each in its own %s. Each host runs VMs and carries a\n", placeWord(f.provider))
	w("# Ceph monitor and OSD unless its roles say otherwise (compute, ceph-osd, ceph-mon).\nazs:\n")
	offer := inventory.Offers(nil)[f.offer]
	n := 0
	for _, place := range f.places {
		w("  - name: %s\n", azName(place))
		if f.provider == string(inventory.ElasticMetal) {
			w("    zone: %s\n", place)
		} else {
			w("    datacenter: %s\n", place)
		}
		w("    hosts:\n")
		for j := 0; j < f.hostsPerAZ; j++ {
			n++
			w("      - name: %s-pve-%d\n        offer: %s\n", f.name, n, f.offer)
			if f.provider != string(inventory.Dedibox) {
				w("        provider: %s\n", f.provider)
			}
			if d := dataDisks(offer); d != "" {
				w("        # Ceph OSDs on every disk but the system disk.\n        dataDisks: [%s]\n", d)
			}
		}
		w("    workers:\n      count: %d\n      cores: 2\n      memory: 6GiB\n      disk: 40GiB\n", f.workers)
	}
	w("# The private network between the AZs; hosts and VMs get addresses from it.\n")
	w("network:\n  subnet: %s\n  vlan: %d\n", f.subnet, f.vlan)
	w("# One control plane per AZ, so losing an AZ keeps etcd's quorum.\n")
	w("controlPlane:\n  count: 3\n  cores: 2\n  memory: 4GiB\n  disk: 20GiB\n")
	w("talos:\n  # The control planes share this address; it must be free in the subnet.\n")
	w("  vip: %s\n", vipOf(f.subnet))
	w("# Ceph replicates every pool across the three AZs: size 3, min_size 2.\n")
	w("ceph:\n  pools:\n    - name: vm\n      size: 3\n      minSize: 2\n      failureDomain: datacenter\n")
	return b.String()
}

func placeWord(provider string) string {
	if provider == string(inventory.ElasticMetal) {
		return "zone"
	}
	return "datacenter"
}

// azName is a DNS-label AZ name for a datacenter or zone.
func azName(place string) string { return strings.ToLower(place) }

// regionOf is the Scaleway region of the first AZ.
func regionOf(provider, place string) string {
	if provider == string(inventory.ElasticMetal) {
		if i := strings.LastIndex(place, "-"); i > 0 {
			return place[:i]
		}
		return place
	}
	if r, ok := inventory.DediboxRegion(strings.ToUpper(place)); ok {
		return r
	}
	return "fr-par"
}

// dataDisks names the offer's disks after the first as NVMe devices.
func dataDisks(o inventory.Offer) string {
	var ds []string
	for i := 1; i < len(o.Disks); i++ {
		ds = append(ds, fmt.Sprintf("/dev/nvme%dn1", i))
	}
	return strings.Join(ds, ", ")
}

// vipOf is the subnet's tenth address, the shipped examples' choice.
func vipOf(subnet string) string {
	base, _, _ := strings.Cut(subnet, "/")
	parts := strings.Split(base, ".")
	if len(parts) != 4 {
		return base
	}
	parts[3] = "10"
	return strings.Join(parts, ".")
}
