package inventory

import (
	"net/netip"
	"strings"

	"github.com/siderolabs/talos/pkg/machinery/constants"
)

// Defaults that are not derived from other fields.
const (
	DefaultTalosVersion = "v1.13.9"
	// DefaultSchematic is the Image Factory schematic with only the
	// siderolabs/qemu-guest-agent extension, the usual choice on Proxmox.
	DefaultSchematic    = "ce4c980550dd2ab1b17bbf2b08801c7eb59418eafe8f279833297925d67c7515"
	DefaultImageFactory = "https://factory.talos.dev"
	DefaultVLAN         = 100
	DefaultBridge       = "vmbr1"
	DefaultVMIDBase     = 1000
	DefaultISOStorage   = "local"
	DefaultInstallDisk  = "/dev/sda"
	DefaultPoolName     = "vm"
	hostRangeStart      = 11
	hostRangeEnd        = 49
	nodeRangeStart      = 50
	// DefaultTimeServer is Talos's own default NTP server.
	DefaultTimeServer = "time.cloudflare.com"
)

// DefaultDNS are Scaleway's public resolvers, which VMs reach through their
// gateway's NAT (no gateway runs a resolver).
var DefaultDNS = []netip.Addr{netip.MustParseAddr("51.159.47.28"), netip.MustParseAddr("51.159.47.26")}

// zeroMeansDefault lists, by YAML path with indexes removed, every scalar field
// whose zero value SetDefaults replaces, with the default it would take. The
// decoder refuses such a field written explicitly as its zero ("cores: 0"),
// since tripod would otherwise quietly do something else than written.
// Fields where zero is a real value (workers.count) are not listed.
var zeroMeansDefault = map[string]string{
	"scaleway.projectID":            "the Scaleway profile's default project",
	"azs[].workers.cores":           "4",
	"azs[].workers.memory":          "16GiB",
	"azs[].workers.disk":            "100GiB",
	"proxmox.clusterName":           "the cluster name, when it fits",
	"proxmox.corosyncNetwork":       "network.subnet",
	"proxmox.vmStorage":             "the first Ceph pool's name",
	"proxmox.isoStorage":            DefaultISOStorage,
	"proxmox.vmidBase":              "1000",
	"network.gateway":               "each VM routes through its own host's private address",
	"network.vlan":                  "100",
	"network.bridge":                DefaultBridge,
	"network.privateBandwidthGbps":  "the hosts' offers' private bandwidth",
	"controlPlane.count":            "3",
	"controlPlane.cores":            "4",
	"controlPlane.memory":           "8GiB",
	"controlPlane.disk":             "40GiB",
	"talos.version":                 DefaultTalosVersion,
	"talos.kubernetesVersion":       "Talos's default, " + constants.DefaultKubernetesVersion,
	"talos.schematic":               "the qemu-guest-agent schematic",
	"talos.imageFactory":            DefaultImageFactory,
	"talos.endpoint":                "https://VIP:6443 when vip is set",
	"talos.installDisk":             DefaultInstallDisk,
	"talos.podSubnet":               "10.244.0.0/16",
	"talos.serviceSubnet":           "10.96.0.0/12",
	"ceph.publicNetwork":            "network.subnet",
	"ceph.clusterNetwork":           "ceph.publicNetwork",
	"ceph.pools[].size":             "3",
	"ceph.pools[].minSize":          "2",
	"ceph.pools[].pgNum":            "128",
	"offers[].privateBandwidthGbps": "1",
}

// SetDefaults fills every unset field whose default the field's doc comment
// states. It never reports problems: validation is a separate pass, and a
// default that cannot be derived (say, from an invalid subnet) is left unset
// for validation to name.
func SetDefaults(c *Cluster) {
	defaultAZs(c)
	defaultNetwork(&c.Network)
	p := &c.Proxmox
	if p.ClusterName == "" && dnsLabelRE.MatchString(c.Name) {
		p.ClusterName = strings.TrimRight(truncate(c.Name, 15), "-")
	}
	if !p.CorosyncNetwork.IsValid() {
		p.CorosyncNetwork = c.Network.Subnet
	}
	if p.ISOStorage == "" {
		p.ISOStorage = DefaultISOStorage
	}
	if p.VMIDBase == 0 {
		p.VMIDBase = DefaultVMIDBase
	}
	defaultControlPlane(c)
	defaultTalos(&c.Talos)
	defaultCeph(&c.Ceph, c.Network.Subnet)
	if p.VMStorage == "" && len(c.Ceph.Pools) > 0 {
		p.VMStorage = c.Ceph.Pools[0].Name
	}
	if c.Access.Via == "" {
		c.Access.Via = ViaSSH
	}
}

func defaultAZs(c *Cluster) {
	for i := range c.AZs {
		az := &c.AZs[i]
		for j := range az.Hosts {
			h := &az.Hosts[j]
			if h.Provider == "" {
				switch {
				case az.Datacenter != "" && az.Zone == "":
					h.Provider = Dedibox
				case az.Zone != "" && az.Datacenter == "":
					h.Provider = ElasticMetal
				}
			}
			if h.Roles == nil {
				h.Roles = []Role{RoleCompute, RoleCephOSD, RoleCephMon}
			}
		}
		w := &az.Workers
		setInt(&w.Cores, 4)
		setSize(&w.Memory, 16*gib)
		setSize(&w.Disk, 100*gib)
	}
}

func defaultNetwork(n *Network) {
	if n.VLAN == 0 {
		n.VLAN = DefaultVLAN
	}
	if n.Bridge == "" {
		n.Bridge = DefaultBridge
	}
	if n.DNS == nil {
		n.DNS = append([]netip.Addr(nil), DefaultDNS...)
	}
	if n.TimeServers == nil {
		n.TimeServers = []string{DefaultTimeServer}
	}
	if !n.Subnet.IsValid() || !n.Subnet.Addr().Is4() {
		return
	}
	base := n.Subnet.Masked().Addr()
	if n.HostRange.IsZero() {
		n.HostRange = Range{addrAt(base, hostRangeStart), addrAt(base, hostRangeEnd)}
	}
	if n.NodeRange.IsZero() {
		n.NodeRange = Range{addrAt(base, nodeRangeStart), lastUsable(n.Subnet)}
	}
}

func defaultControlPlane(c *Cluster) {
	cp := &c.ControlPlane
	explicit, sum := 0, 0
	for _, az := range c.AZs {
		if az.ControlPlanes != nil {
			explicit++
			sum += *az.ControlPlanes
		}
	}
	if cp.Count == 0 {
		if explicit > 0 {
			cp.Count = sum
		} else {
			cp.Count = 3
		}
	}
	if explicit == 0 && len(c.AZs) > 0 {
		// 3 gives 1-1-1, 5 gives 2-2-1: the remainder goes to the first AZs.
		for i := range c.AZs {
			n := cp.Count / len(c.AZs)
			if i < cp.Count%len(c.AZs) {
				n++
			}
			c.AZs[i].ControlPlanes = &n
		}
	}
	setInt(&cp.Cores, 4)
	setSize(&cp.Memory, 8*gib)
	setSize(&cp.Disk, 40*gib)
}

func defaultTalos(t *Talos) {
	setStr(&t.Version, DefaultTalosVersion)
	setStr(&t.KubernetesVersion, constants.DefaultKubernetesVersion)
	setStr(&t.Schematic, DefaultSchematic)
	setStr(&t.ImageFactory, DefaultImageFactory)
	setStr(&t.InstallDisk, DefaultInstallDisk)
	if t.Endpoint == "" && t.VIP.IsValid() {
		t.Endpoint = "https://" + netip.AddrPortFrom(t.VIP, 6443).String()
	}
	if !t.PodSubnet.IsValid() {
		t.PodSubnet = netip.MustParsePrefix("10.244.0.0/16")
	}
	if !t.ServiceSubnet.IsValid() {
		t.ServiceSubnet = netip.MustParsePrefix("10.96.0.0/12")
	}
	for i := range t.Patches {
		if t.Patches[i].Target == "" {
			t.Patches[i].Target = TargetAll
		}
	}
}

func defaultCeph(c *Ceph, subnet netip.Prefix) {
	if !c.PublicNetwork.IsValid() {
		c.PublicNetwork = subnet
	}
	if !c.ClusterNetwork.IsValid() {
		c.ClusterNetwork = c.PublicNetwork
	}
	if c.Pools == nil {
		c.Pools = []Pool{{Name: DefaultPoolName}}
	}
	for i := range c.Pools {
		p := &c.Pools[i]
		setInt(&p.Size, 3)
		setInt(&p.MinSize, 2)
		setInt(&p.PGNum, 128)
		if p.FailureDomain == "" {
			p.FailureDomain = FailureDatacenter
		}
	}
}

func setInt(p *int, v int) {
	if *p == 0 {
		*p = v
	}
}

func setSize(p *Size, v Size) {
	if *p == 0 {
		*p = v
	}
}

func setStr(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// addrAt is base+offset within IPv4.
func addrAt(base netip.Addr, offset int) netip.Addr {
	b := base.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v += uint32(offset)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// broadcast is the subnet's last address.
func broadcast(p netip.Prefix) netip.Addr {
	return addrAt(p.Masked().Addr(), (1<<(32-p.Bits()))-1)
}

func lastUsable(p netip.Prefix) netip.Addr {
	return addrAt(p.Masked().Addr(), (1<<(32-p.Bits()))-2)
}
