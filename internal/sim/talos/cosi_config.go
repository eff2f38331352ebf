package talos

import (
	"net/netip"

	"github.com/cosi-project/runtime/pkg/resource"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"
	configres "github.com/siderolabs/talos/pkg/machinery/resources/config"
	"github.com/siderolabs/talos/pkg/machinery/resources/etcd"
	"github.com/siderolabs/talos/pkg/machinery/resources/k8s"
)

// syncConfig keeps the resources talosctl get machineconfig, machinetype,
// etcdconfig, etcdspec, kubeletconfig and kubeletspec read, from the
// node's active config: the machine config once one is applied (a
// sensitive type: only os:admin reads it, as on Talos), the machine type
// (unknown without a config), and, once configured, the kubelet's config
// and spec and, on a control plane, etcd's.
func (n *node) syncConfig() {
	// Defined before any config exists, so that a reader is refused it
	// from the start rather than shown an empty list.
	n.res.define(configres.NewMachineConfig(nil))
	n.mu.Lock()
	cfg, f, mode, ip := n.cfg, n.f, n.mode, n.ip
	n.mu.Unlock()
	applied := cfg != nil && mode != ModeOff && mode != ModeBooting
	running := applied && mode == ModeConfigured

	var mcs []resource.Resource
	typ := machine.TypeUnknown
	if applied {
		mcs = append(mcs, configres.NewMachineConfig(cfg))
		typ = f.machineType
	}
	n.res.replace(configres.NewMachineConfig(nil), mcs, "config.MachineConfigController")
	mt := configres.NewMachineType()
	mt.SetMachineType(typ)
	n.res.put(mt, "config.MachineTypeController")

	var etcdCfg, etcdSpec, kcfg, kspec []resource.Resource
	if running && f.controlPlane() && cfg.Cluster() != nil {
		e := cfg.Cluster().Etcd()
		c := etcd.NewConfig(etcd.NamespaceName, etcd.ConfigID)
		*c.TypedSpec() = etcd.ConfigSpec{AdvertiseValidSubnets: e.AdvertisedSubnets(), ListenValidSubnets: e.ListenSubnets(), Image: e.Image()}
		etcdCfg = append(etcdCfg, c)
		s := etcd.NewSpec(etcd.NamespaceName, etcd.SpecID)
		s.TypedSpec().Name, s.TypedSpec().Image = f.hostname, e.Image()
		if a, err := netip.ParseAddr(ip); err == nil {
			s.TypedSpec().AdvertisedAddresses = []netip.Addr{a}
		}
		etcdSpec = append(etcdSpec, s)
	}
	if running && cfg.Cluster() != nil {
		kc := cfg.Machine().Kubelet()
		dns := kc.ClusterDNS()
		if len(dns) == 0 {
			dns = []string{"10.96.0.10"} // the tenth address of the default service CIDR
		}
		c := k8s.NewKubeletConfig(k8s.NamespaceName, k8s.KubeletID)
		*c.TypedSpec() = k8s.KubeletConfigSpec{Image: kc.Image(), ClusterDNS: dns, ClusterDomain: cfg.Cluster().Network().DNSDomain(),
			DefaultRuntimeSeccompEnabled: kc.DefaultRuntimeSeccompProfileEnabled(), SkipNodeRegistration: kc.SkipNodeRegistration(),
			AllowSchedulingOnControlPlane: cfg.Cluster().ScheduleOnControlPlanes()}
		kcfg = append(kcfg, c)
		s := k8s.NewKubeletSpec(k8s.NamespaceName, k8s.KubeletID)
		*s.TypedSpec() = k8s.KubeletSpecSpec{Image: kc.Image(), ExpectedNodename: f.hostname, Args: []string{
			"--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubeconfig", "--cert-dir=/var/lib/kubelet/pki",
			"--config=/etc/kubernetes/kubelet.yaml", "--hostname-override=" + f.hostname,
			"--kubeconfig=/etc/kubernetes/kubeconfig-kubelet", "--node-ip=" + ip,
		}, Config: map[string]any{"apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration",
			"clusterDNS": anySlice(dns), "clusterDomain": cfg.Cluster().Network().DNSDomain(),
			"staticPodPath": "/etc/kubernetes/manifests", "rotateCertificates": true}}
		kspec = append(kspec, s)
	}
	n.res.replace(etcd.NewConfig(etcd.NamespaceName, ""), etcdCfg, "etcd.ConfigController")
	n.res.replace(etcd.NewSpec(etcd.NamespaceName, ""), etcdSpec, "etcd.SpecController")
	n.res.replace(k8s.NewKubeletConfig(k8s.NamespaceName, ""), kcfg, "k8s.KubeletConfigController")
	n.res.replace(k8s.NewKubeletSpec(k8s.NamespaceName, ""), kspec, "k8s.KubeletSpecController")
}

// anySlice is a string list as a decoded YAML document holds it.
func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
