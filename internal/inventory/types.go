package inventory

import "net/netip"

// APIVersion and Kind identify the inventory format this package reads.
const (
	APIVersion = "tripod.dev/v1alpha1"
	Kind       = "Cluster"
)

// Cluster is one inventory file: everything tripod needs to bring up one
// Talos cluster on Proxmox VE across three availability zones.
type Cluster struct {
	// APIVersion must be "tripod.dev/v1alpha1". Required.
	APIVersion string `yaml:"apiVersion"`
	// Kind must be "Cluster". Required.
	Kind string `yaml:"kind"`
	// Name is the cluster's name, a DNS label of at most 40 characters. It
	// names the state directory, VMs and the ownership tag on every resource.
	// Required.
	Name string `yaml:"name"`
	// Scaleway says where servers are ordered. Required.
	Scaleway Scaleway `yaml:"scaleway"`
	// AZs are exactly three availability zones. Required.
	AZs []AZ `yaml:"azs"`
	// Proxmox configures the Proxmox VE cluster. Default: see its fields.
	Proxmox Proxmox `yaml:"proxmox"`
	// Network is the private network that joins the AZs. Required.
	Network Network `yaml:"network"`
	// ControlPlane sizes the Talos control-plane VMs. Default: see its fields.
	ControlPlane ControlPlane `yaml:"controlPlane"`
	// Talos configures the Talos and Kubernetes layer. Required.
	Talos Talos `yaml:"talos"`
	// Ceph configures the storage layer. Default: see its fields.
	Ceph Ceph `yaml:"ceph"`
	// Offers adds offers to, or overrides offers in, the built-in capacity
	// table (see `tripod offers`). Default: none.
	Offers []OfferSpec `yaml:"offers"`
	// State keeps the cluster's state in an S3 bucket instead of the local
	// state directory: s3://BUCKET/PREFIX, with optional query parameters
	// endpoint, region and lease (see the README's remote state). --state
	// overrides it. Default: the local directory .tripod/<name>/ beside the
	// inventory.
	State string `yaml:"state"`
	// Access says how tripod reaches the private network's addresses.
	// Default: see its fields.
	Access Access `yaml:"access"`
}

// Access is how tripod reaches the addresses on the private network (the
// VMs' Talos API, the Kubernetes endpoint, the hosts' bridge addresses).
type Access struct {
	// Via is ssh (through a direct-tcpip channel of an SSH connection to a
	// host, hosts of the target's AZ first: tripod runs on the internet) or
	// direct (tripod runs on the private network, as inside a VPN).
	// Default: ssh.
	Via AccessVia `yaml:"via"`
	// AllowedSources are the public IPv4 ranges (CIDRs, such as
	// 203.0.113.0/24 or 198.51.100.7/32) that may reach the hosts'
	// management ports from the internet: SSH (22) and the Proxmox API and
	// web UI (8006). Without them SSH is open to anyone, keys only, and
	// 8006 to no one (tripod and `tripod tunnel` reach it through SSH).
	// The Talos and Kubernetes APIs are never public.
	// Default: none.
	AllowedSources []string `yaml:"allowedSources"`
}

// Scaleway is the account side of the inventory.
type Scaleway struct {
	// ProjectID is the Scaleway project the servers belong to.
	// Default: the active Scaleway profile's default project ID.
	ProjectID string `yaml:"projectID"`
	// Region is the Scaleway region: fr-par, nl-ams or pl-waw. Required.
	Region string `yaml:"region"`
}

// AZ is one availability zone: one Scaleway placement and its hosts.
type AZ struct {
	// Name is the AZ's name, a DNS label; it becomes the
	// topology.kubernetes.io/zone label of the nodes in it. Required.
	Name string `yaml:"name"`
	// Datacenter is the Dedibox datacenter of the AZ's dedibox hosts (DC2,
	// DC3, DC5, AMS1). Required when the AZ has dedibox hosts.
	Datacenter string `yaml:"datacenter"`
	// Zone is the Elastic Metal zone of the AZ's elastic-metal hosts
	// (fr-par-1, fr-par-2, nl-ams-1, ...). Required when the AZ has
	// elastic-metal hosts.
	Zone string `yaml:"zone"`
	// Hosts are the bare-metal servers of the AZ. Required, at least one.
	Hosts []Host `yaml:"hosts"`
	// ControlPlanes is how many control-plane VMs run in this AZ.
	// Default: spread from controlPlane.count (3 gives 1-1-1, 5 gives 2-2-1).
	ControlPlanes *int `yaml:"controlPlanes"`
	// Workers are the worker VMs of this AZ. Default: none.
	Workers WorkerPool `yaml:"workers"`
}

// Host is one bare-metal server, ordered or adopted.
type Host struct {
	// Name is the server's hostname and Proxmox node name, a DNS label.
	// Required.
	Name string `yaml:"name"`
	// Provider is dedibox or elastic-metal. Default: dedibox when the AZ has
	// a datacenter, elastic-metal when it has a zone.
	Provider Provider `yaml:"provider"`
	// Offer is the commercial offer (STORE-9-M, CORE-10-L, EM-L220E-NVME...);
	// its capacity is looked up in the offer table. Required, also when
	// adopting (it sizes the host).
	Offer string `yaml:"offer"`
	// Adopt names an existing server to use instead of ordering one.
	// Default: none (the server is ordered).
	Adopt *Adopt `yaml:"adopt"`
	// Roles are what the host does: compute (runs VMs), ceph-osd, ceph-mon.
	// Default: [compute, ceph-osd, ceph-mon].
	Roles []Role `yaml:"roles"`
	// DataDisks are the devices given to Ceph OSDs (/dev/nvme2n1, ...).
	// Required when roles include ceph-osd.
	DataDisks []string `yaml:"dataDisks"`
	// PrivateAddress is the host's address on the private network.
	// Default: allocated in order from network.hostRange.
	PrivateAddress netip.Addr `yaml:"privateAddress"`
}

// Adopt identifies an existing server.
type Adopt struct {
	// ServerID is the Scaleway server ID (a number for Dedibox, a UUID for
	// Elastic Metal). Required.
	ServerID string `yaml:"serverID"`
}

// Proxmox configures the Proxmox VE cluster.
type Proxmox struct {
	// ClusterName is the Proxmox cluster name (at most 15 characters).
	// Default: the cluster name, when it fits.
	ClusterName string `yaml:"clusterName"`
	// CorosyncNetwork is the network corosync's link0 runs on.
	// Default: network.subnet.
	CorosyncNetwork netip.Prefix `yaml:"corosyncNetwork"`
	// VMStorage is the Proxmox storage VM disks go on. Default: the first
	// Ceph pool's name (registered as an RBD storage of the same name).
	VMStorage string `yaml:"vmStorage"`
	// ISOStorage is the storage the Talos ISO is downloaded to. Default: local.
	ISOStorage string `yaml:"isoStorage"`
	// VMIDBase is the first VM ID; control plane n gets VMIDBase+n and
	// worker k of the i-th AZ (0-based) gets VMIDBase+1000*(i+1)+k, so a
	// worker's ID never depends on another AZ's count. Default: 1000.
	VMIDBase int `yaml:"vmidBase"`
}

// Network is the private network between the AZs (Dedibox RPNv2 VLAN or
// Elastic Metal private network) and the address plan on it.
type Network struct {
	// Subnet is the private IPv4 network VMs and hosts share. Required.
	Subnet netip.Prefix `yaml:"subnet"`
	// Gateway, when set, is a router on the private network that forwards
	// and NATs to the internet (for example a Scaleway Public Gateway):
	// every VM routes through it and tripod configures no NAT on the
	// hosts. Default: unset, and each VM routes through its own host's
	// private address, which tripod makes forward and masquerade the
	// subnet out of the host's public bridge.
	Gateway netip.Addr `yaml:"gateway"`
	// DNS are the resolvers given to VMs, reached through the gateway.
	// Default: Scaleway's public resolvers, [51.159.47.28, 51.159.47.26].
	DNS []netip.Addr `yaml:"dns"`
	// TimeServers are the NTP servers (host names or addresses) every node
	// syncs its clock with, through the gateway. Default: [time.cloudflare.com].
	TimeServers []string `yaml:"timeServers"`
	// VLAN is the 802.1Q VLAN ID of the private network (1-4094).
	// Default: 100.
	VLAN int `yaml:"vlan"`
	// Bridge is the Proxmox bridge VMs attach to. Default: vmbr1.
	Bridge string `yaml:"bridge"`
	// HostRange is where host private addresses are allocated from, as
	// FIRST-LAST. Default: subnet addresses 11 to 49.
	HostRange Range `yaml:"hostRange"`
	// NodeRange is where VM addresses are allocated from, as FIRST-LAST: its
	// first 5 addresses go to control planes, the rest is split into one
	// equal block per AZ for that AZ's workers, so adding a worker in one AZ
	// never moves another's. Default: subnet addresses 50 to the last
	// usable one.
	NodeRange Range `yaml:"nodeRange"`
	// PrivateBandwidthGbps is the private link speed; it only drives
	// warnings. Default: the hosts' offers' private bandwidth.
	PrivateBandwidthGbps float64 `yaml:"privateBandwidthGbps"`
}

// ControlPlane sizes the Talos control-plane VMs.
type ControlPlane struct {
	// Count is the number of control planes: 3 (one per AZ) or 5 (2-2-1).
	// Default: 3.
	Count int `yaml:"count"`
	// Cores per VM. Default: 4.
	Cores int `yaml:"cores"`
	// Memory per VM. Default: 8GiB.
	Memory Size `yaml:"memory"`
	// Disk per VM. Default: 40GiB.
	Disk Size `yaml:"disk"`
	// Addresses are explicit addresses for control planes 1..count, in order.
	// Default: allocated from the first 5 addresses of network.nodeRange.
	Addresses []netip.Addr `yaml:"addresses"`
}

// WorkerPool sizes one AZ's worker VMs.
type WorkerPool struct {
	// Count is the number of workers in the AZ. Default: 0.
	Count int `yaml:"count"`
	// Cores per VM. Default: 4.
	Cores int `yaml:"cores"`
	// Memory per VM. Default: 16GiB.
	Memory Size `yaml:"memory"`
	// Disk per VM. Default: 100GiB.
	Disk Size `yaml:"disk"`
	// Addresses are explicit addresses for this AZ's workers, in order.
	// Default: allocated from this AZ's block of network.nodeRange.
	Addresses []netip.Addr `yaml:"addresses"`
}

// Talos configures the Talos and Kubernetes layer.
type Talos struct {
	// Version is the Talos version. Default: v1.13.9.
	Version string `yaml:"version"`
	// KubernetesVersion is the Kubernetes version; the pair must be supported
	// by Talos's compatibility matrix. Default: Talos's default (1.36.3).
	KubernetesVersion string `yaml:"kubernetesVersion"`
	// Schematic is the Image Factory schematic ID (64 hex characters).
	// Default: the schematic with only the qemu-guest-agent extension.
	Schematic string `yaml:"schematic"`
	// ImageFactory is the Image Factory's base URL.
	// Default: https://factory.talos.dev.
	ImageFactory string `yaml:"imageFactory"`
	// Endpoint is the Kubernetes API endpoint URL (a DNS name or a load
	// balancer), https://HOST:PORT. Default: https://VIP:6443 when vip is set;
	// required otherwise.
	Endpoint string `yaml:"endpoint"`
	// VIP is a shared virtual IP the control planes hold on the private
	// network. Default: none.
	VIP netip.Addr `yaml:"vip"`
	// InstallDisk is the disk Talos installs to inside each VM.
	// Default: /dev/sda.
	InstallDisk string `yaml:"installDisk"`
	// PodSubnet is the pod network. Default: 10.244.0.0/16.
	PodSubnet netip.Prefix `yaml:"podSubnet"`
	// ServiceSubnet is the service network. Default: 10.96.0.0/12.
	ServiceSubnet netip.Prefix `yaml:"serviceSubnet"`
	// Patches are machine-config patches applied after tripod's own, in
	// order, in talosctl's formats (strategic merge or JSON6902). Default: none.
	Patches []Patch `yaml:"patches"`
}

// Patch is one machine-config patch, from a file or inline.
type Patch struct {
	// File is a patch file, relative to the inventory file (templates/...).
	// Exactly one of file and inline is required.
	File string `yaml:"file"`
	// Inline is the patch itself: a partial machine config (strategic merge)
	// or a list of JSON6902 operations. Required unless file is set.
	Inline RawYAML `yaml:"inline"`
	// Target limits the patch to controlplane or worker nodes. Default: all.
	Target PatchTarget `yaml:"target"`
}

// Ceph configures the Ceph cluster on the Proxmox hosts.
type Ceph struct {
	// PublicNetwork is Ceph's public network. Default: network.subnet.
	PublicNetwork netip.Prefix `yaml:"publicNetwork"`
	// ClusterNetwork is Ceph's replication network. Default: publicNetwork.
	ClusterNetwork netip.Prefix `yaml:"clusterNetwork"`
	// Pools are the replicated pools. Default: one pool named vm.
	Pools []Pool `yaml:"pools"`
}

// Pool is one replicated Ceph pool, registered as Proxmox RBD storage.
type Pool struct {
	// Name of the pool and of its Proxmox storage, a DNS label. Required.
	Name string `yaml:"name"`
	// Size is the number of replicas. Default: 3.
	Size int `yaml:"size"`
	// MinSize is the number of replicas needed to serve I/O. Default: 2.
	MinSize int `yaml:"minSize"`
	// FailureDomain is the CRUSH level replicas are spread over: datacenter
	// (one AZ each) or host. Default: datacenter.
	FailureDomain FailureDomain `yaml:"failureDomain"`
	// PGNum is the initial placement-group count. Default: 128.
	PGNum int `yaml:"pgNum"`
}

// OfferSpec is one offer's capacity, adding to or overriding the built-in
// table.
type OfferSpec struct {
	// Name is the offer name. Required.
	Name string `yaml:"name"`
	// Provider is dedibox or elastic-metal. Required.
	Provider Provider `yaml:"provider"`
	// Threads is the number of logical CPUs. Required.
	Threads int `yaml:"threads"`
	// Memory is the RAM. Required.
	Memory Size `yaml:"memory"`
	// Disks are the physical disks' sizes. Default: none.
	Disks []Size `yaml:"disks"`
	// PrivateBandwidthGbps is the private network speed. Default: 1.
	PrivateBandwidthGbps float64 `yaml:"privateBandwidthGbps"`
}
