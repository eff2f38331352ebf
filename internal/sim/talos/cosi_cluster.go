package talos

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/netip"
	"strings"

	"github.com/cosi-project/runtime/pkg/resource"
	clusterres "github.com/siderolabs/talos/pkg/machinery/resources/cluster"
	"github.com/siderolabs/talos/pkg/machinery/resources/etcd"
	"github.com/siderolabs/talos/pkg/machinery/resources/k8s"
	"github.com/siderolabs/talos/pkg/machinery/resources/runtime"
	"github.com/siderolabs/talos/pkg/machinery/resources/v1alpha1"
	"github.com/siderolabs/talos/pkg/machinery/version"
)

// A node's cluster resources: the members discovery finds (every node
// whose config names the same cluster, while that config is on disk, as
// the discovery service keeps an affiliate through a reboot), its services,
// and on a control plane its etcd member ID and static pods.

// identity is what a node publishes to discovery, read under its lock.
type identity struct {
	key      string // cluster key; "" without a config
	nodeID   string
	hostname string
	addr     netip.Addr
	spec     clusterres.MemberSpec
}

func (n *node) identity() identity {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cfg == nil || n.f.clusterKey == "" {
		return identity{}
	}
	addr, _ := netip.ParseAddr(n.ip)
	id := identity{key: n.f.clusterKey, nodeID: nodeID(n.f.clusterKey, n.ip), hostname: n.f.hostname, addr: addr}
	id.spec = clusterres.MemberSpec{NodeID: id.nodeID, Addresses: []netip.Addr{addr}, Hostname: n.f.hostname,
		MachineType: n.f.machineType, OperatingSystem: "Talos (" + version.Tag + ")"}
	if n.f.controlPlane() {
		id.spec.ControlPlane = &clusterres.ControlPlane{APIServerPort: 6443}
	}
	return id
}

// nodeID is the node's discovery identity: 43 characters of base62-like
// text as Talos generates, stable for a node of a cluster.
func nodeID(key, ip string) string {
	sum := sha256.Sum256([]byte(key + "/" + ip))
	s := base64.RawURLEncoding.EncodeToString(sum[:])
	return strings.NewReplacer("-", "x", "_", "y").Replace(s)[:43]
}

// syncCluster puts the node's members and affiliates: itself and every
// other node of its cluster; a node without a config sees none.
func (n *node) syncCluster() {
	self := n.identity()
	var members, affiliates []resource.Resource
	if self.key != "" {
		for _, o := range n.ns.all() {
			id := self
			if o != n {
				if id = o.identity(); id.key != self.key {
					continue
				}
			}
			m := clusterres.NewMember(clusterres.NamespaceName, id.hostname)
			*m.TypedSpec() = id.spec
			members = append(members, m)
			a := clusterres.NewAffiliate(clusterres.NamespaceName, id.nodeID)
			*a.TypedSpec() = clusterres.AffiliateSpec{NodeID: id.nodeID, Addresses: id.spec.Addresses, Hostname: id.hostname,
				Nodename: id.hostname, OperatingSystem: id.spec.OperatingSystem, MachineType: id.spec.MachineType,
				ControlPlane: id.spec.ControlPlane}
			affiliates = append(affiliates, a)
		}
	}
	n.res.replace(clusterres.NewMember(clusterres.NamespaceName, ""), members, "cluster.MemberController")
	n.res.replace(clusterres.NewAffiliate(clusterres.NamespaceName, ""), affiliates, "cluster.AffiliateMergeController")
}

// syncServices puts one Service per service ServiceList reports, so the
// two APIs agree; the etcd member ID and the static pods follow on a
// control plane.
func (n *node) syncServices() {
	var svcs []resource.Resource
	etcdRunning := false
	if resp, err := (&machineAPI{n: n}).ServiceList(context.Background(), nil); err == nil {
		for _, s := range resp.Messages[0].Services {
			r := v1alpha1.NewService(s.Id)
			*r.TypedSpec() = v1alpha1.ServiceSpec{Running: s.State == "Running", Healthy: s.Health.GetHealthy()}
			svcs = append(svcs, r)
			etcdRunning = etcdRunning || (s.Id == "etcd" && s.Health.GetHealthy())
		}
	}
	n.res.replace(v1alpha1.NewService(""), svcs, "v1alpha1.ServiceController")

	n.mu.Lock()
	cp, host, kubelet := n.f.controlPlane() && n.mode == ModeConfigured, n.f.hostname, !n.kubeletSince.IsZero()
	var memberID uint64
	if n.member != nil && n.member.running() {
		memberID = n.member.id
	}
	n.mu.Unlock()
	var em []resource.Resource
	if cp && memberID != 0 {
		m := etcd.NewMember(etcd.NamespaceName, etcd.LocalMemberID)
		m.TypedSpec().MemberID = etcd.FormatMemberID(memberID)
		em = append(em, m)
	}
	n.res.replace(etcd.NewMember(etcd.NamespaceName, ""), em, "etcd.MemberController")

	var pods []resource.Resource
	if cp && kubelet {
		for _, name := range []string{k8s.APIServerID, k8s.ControllerManagerID, k8s.SchedulerID} {
			p := k8s.NewStaticPodStatus(k8s.NamespaceName, "kube-system/"+name+"-"+host)
			p.TypedSpec().PodStatus = podStatus(etcdRunning)
			pods = append(pods, p)
		}
	}
	n.res.replace(k8s.NewStaticPodStatus(k8s.NamespaceName, ""), pods, "k8s.StaticPodStatusController")
	// No diagnostics: nothing the simulator models (address overlaps,
	// kubelet flags) is wrong, and talosctl health lists them.
	n.res.replace(runtime.NewDiagnostic(runtime.NamespaceName, ""), nil, "runtime.DiagnosticsController")
}

// podStatus is the kubelet's status of a static pod: running, and ready
// once etcd (which the API server needs) is healthy.
func podStatus(ready bool) map[string]any {
	cond := "False"
	if ready {
		cond = "True"
	}
	var conds []any
	for _, t := range []string{"Initialized", "Ready", "ContainersReady", "PodScheduled"} {
		c := cond
		if t == "Initialized" || t == "PodScheduled" {
			c = "True"
		}
		conds = append(conds, map[string]any{"type": t, "status": c})
	}
	return map[string]any{"phase": "Running", "conditions": conds}
}
