package talos

import (
	"crypto/sha256"
	"fmt"
	"net/netip"

	"github.com/cosi-project/runtime/pkg/resource"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	clusterres "github.com/siderolabs/talos/pkg/machinery/resources/cluster"
	"github.com/siderolabs/talos/pkg/machinery/resources/hardware"
	"github.com/siderolabs/talos/pkg/machinery/resources/network"
)

// syncDashboard keeps the rest of what talosctl dashboard watches on every
// node for its header and summary: the resolvers and time servers in use
// (the config's, else cloud-init's and Talos's default), network readiness,
// the machine as QEMU's SMBIOS describes a Proxmox VM, and, once a config is
// in place, the cluster's ID and name.
func (n *node) syncDashboard() {
	n.mu.Lock()
	from, servers, _ := n.egressLocked()
	vm, mode := n.vm, n.mode
	var clusterID, clusterName string
	if n.cfg != nil && n.cfg.Cluster() != nil {
		clusterID, clusterName = n.cfg.Cluster().ID(), n.cfg.Cluster().Name()
	}
	n.mu.Unlock()

	rs := network.NewResolverStatus(network.NamespaceName, network.ResolverID)
	for _, r := range from.Resolvers {
		if a, err := netip.ParseAddr(r); err == nil {
			rs.TypedSpec().DNSServers = append(rs.TypedSpec().DNSServers, a)
		}
	}
	n.res.put(rs, "network.ResolverSpecController")
	if len(servers) == 0 {
		servers = []string{constants.DefaultNTPServer}
	}
	ts := network.NewTimeServerStatus(network.NamespaceName, network.TimeServerID)
	ts.TypedSpec().NTPServers = servers
	n.res.put(ts, "network.TimeServerSpecController")

	up := mode != ModeOff && mode != ModeBooting
	st := network.NewStatus(network.NamespaceName, network.StatusID)
	*st.TypedSpec() = network.StatusSpec{AddressReady: up, ConnectivityReady: up, HostnameReady: up, EtcFilesReady: up}
	n.res.put(st, "network.StatusController")

	// Proxmox gives every VM an SMBIOS UUID; derived from the VM ID here.
	sum := sha256.Sum256(fmt.Appendf(nil, "smbios %d", vm.VMID))
	si := hardware.NewSystemInformation(hardware.SystemInformationID)
	*si.TypedSpec() = hardware.SystemInformationSpec{Manufacturer: "QEMU", ProductName: "Standard PC (i440FX + PIIX, 1996)",
		Version: "pc-i440fx-9.0", WakeUpType: "Power Switch",
		UUID: fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])}
	n.res.put(si, "hardware.SystemInfoController")

	var infos []resource.Resource
	if clusterID != "" {
		info := clusterres.NewInfo()
		*info.TypedSpec() = clusterres.InfoSpec{ClusterID: clusterID, ClusterName: clusterName}
		infos = append(infos, info)
	}
	n.res.replace(clusterres.NewInfo(), infos, "cluster.InfoController")
}
