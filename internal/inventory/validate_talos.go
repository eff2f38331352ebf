package inventory

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/compatibility"
	"github.com/siderolabs/talos/pkg/machinery/config/configpatcher"
)

func validateTalos(f *findings, c *Cluster, dir string) {
	t := c.Talos
	tv, err := compatibility.ParseTalosVersion(&machine.VersionInfo{Tag: t.Version})
	if err != nil || !strings.HasPrefix(t.Version, "v") {
		f.errorf("talos.version", "%q is not a Talos version like v1.13.9", t.Version)
	}
	kv, kerr := compatibility.ParseKubernetesVersion(t.KubernetesVersion)
	if kerr != nil {
		f.errorf("talos.kubernetesVersion", "%q is not a Kubernetes version like 1.36.3", t.KubernetesVersion)
	}
	if err == nil && kerr == nil {
		if err := kv.SupportedWith(tv); err != nil {
			f.errorf("talos.kubernetesVersion", "Talos %s does not support Kubernetes %s: %v", t.Version, t.KubernetesVersion, err)
		}
	}
	if !schematicRE.MatchString(t.Schematic) {
		f.errorf("talos.schematic", "%q is not an Image Factory schematic ID (64 lower-case hex characters)", t.Schematic)
	}
	if u, err := url.Parse(t.ImageFactory); err != nil || u.Scheme != "https" || u.Host == "" || strings.HasSuffix(t.ImageFactory, "/") {
		f.errorf("talos.imageFactory", "%q is not an https URL without a trailing slash", t.ImageFactory)
	}
	validateEndpoint(f, t.Endpoint)
	if !strings.HasPrefix(t.InstallDisk, "/dev/") {
		f.errorf("talos.installDisk", "%q is not a device path like /dev/sda", t.InstallDisk)
	}
	if c.Network.Subnet.IsValid() {
		if t.PodSubnet.Overlaps(c.Network.Subnet) {
			f.errorf("talos.podSubnet", "%s overlaps network.subnet %s", t.PodSubnet, c.Network.Subnet)
		}
		if t.ServiceSubnet.Overlaps(c.Network.Subnet) {
			f.errorf("talos.serviceSubnet", "%s overlaps network.subnet %s", t.ServiceSubnet, c.Network.Subnet)
		}
	}
	if t.PodSubnet.Overlaps(t.ServiceSubnet) {
		f.errorf("talos.serviceSubnet", "%s overlaps talos.podSubnet %s", t.ServiceSubnet, t.PodSubnet)
	}
	for i, p := range t.Patches {
		validatePatch(f, fmt.Sprintf("talos.patches[%d]", i), p, dir)
	}
}

func validateEndpoint(f *findings, ep string) {
	const path = "talos.endpoint"
	if ep == "" {
		f.errorf(path, "required (or set talos.vip): the Kubernetes API URL, e.g. https://k8s.example.internal:6443")
		return
	}
	u, err := url.Parse(ep)
	if err != nil || u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") {
		f.errorf(path, "%q is not an endpoint URL like https://k8s.example.internal:6443", ep)
		return
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil || port == "" {
		f.errorf(path, "%q has no port; the Kubernetes API usually listens on 6443", ep)
		return
	}
	if ip := net.ParseIP(host); ip == nil && !validDNSName(host) {
		f.errorf(path, "%q is neither an IP address nor a DNS name", host)
	}
}

func validDNSName(s string) bool {
	if len(s) > 253 || s == "" {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if !dnsLabelRE.MatchString(l) {
			return false
		}
	}
	return true
}

// validatePatch checks that the patch is there and is in one of talosctl's
// formats; whether it makes a valid machine config is checked when configs
// are rendered, per node.
func validatePatch(f *findings, p string, patch Patch, dir string) {
	var data []byte
	switch {
	case patch.File != "" && !patch.Inline.IsZero():
		f.errorf(p, "set file or inline, not both")
		return
	case patch.File != "":
		b, err := os.ReadFile(filepath.Join(dir, patch.File))
		if err != nil {
			f.errorf(p+".file", "cannot read patch file %s: %v", patch.File, unwrapPathError(err))
			return
		}
		data = b
	case !patch.Inline.IsZero():
		data = []byte(patch.Inline.Text)
	default:
		f.errorf(p, "set file (a patch file under templates/) or inline")
		return
	}
	if _, err := configpatcher.LoadPatch(data); err != nil {
		f.errorf(p, "not a talosctl patch (strategic merge or JSON6902): %v", err)
	}
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// warnings are findings that do not stop a run but that an operator should
// hear about before paying for servers.
func warnings(f *findings, c *Cluster, l *Layout) {
	bw := c.Network.PrivateBandwidthGbps
	if bw == 0 {
		bw = 1e9
		for _, h := range l.Hosts {
			bw = min(bw, h.Offer.PrivateBandwidthGbps)
		}
	}
	shared := c.Proxmox.CorosyncNetwork.Overlaps(c.Ceph.PublicNetwork) || c.Proxmox.CorosyncNetwork.Overlaps(c.Ceph.ClusterNetwork)
	if shared && bw <= 1 {
		f.warnf("proxmox.corosyncNetwork", "corosync shares a %g Gbps private link with Ceph; heavy Ceph recovery can delay corosync past its token timeout and fence nodes (give corosync its own network or use 10 Gbps private links)", bw)
	}
	workers := 0
	for _, az := range c.AZs {
		workers += az.Workers.Count
	}
	if workers == 0 {
		f.warnf("azs", "no workers: workloads will only run if control planes allow scheduling (cluster.allowSchedulingOnControlPlanes)")
	}
	for i, az := range c.AZs {
		if workers > 0 && az.Workers.Count == 0 {
			f.warnf(fmt.Sprintf("azs[%d].workers.count", i), "AZ %s has no workers; workloads spread across zones will have nowhere to go there", az.Name)
		}
	}
}
