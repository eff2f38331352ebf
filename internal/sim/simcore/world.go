package simcore

import "time"

// The types below are what one simulated API tells another through the
// top-level sim package's wiring (a finished Proxmox VE install makes a
// Proxmox host appear; a started VM boots a Talos node). They carry only what
// the receiving side could learn on the real wire.

// HostInfo describes a bare-metal server whose Proxmox VE install completed.
type HostInfo struct {
	ServerID     string    // Scaleway server ID (Dedibox IDs as decimal text)
	Provider     string    // "dedibox" or "elastic-metal"
	Placement    string    // datacenter ("DC3") or zone ("fr-par-2")
	Hostname     string    // the hostname given at install: the Proxmox node name
	PublicIP     string    // the address the Proxmox API (8006) and SSH (22) answer on
	RootPassword string    // root@pam password set at install
	SSHKeys      []string  // authorized_keys lines installed for root
	SSHEnabled   bool      // sshd runs (Dedibox and Elastic Metal Proxmox VE hosts alike)
	Threads      int       // logical CPUs
	MemoryBytes  int64     // RAM
	Disks        []Disk    // physical disks, the system disk first
	InstalledAt  time.Time // when the install completed
}

// Disk is a physical disk as the host's OS names it.
type Disk struct {
	Device string // "/dev/nvme1n1"
	Bytes  int64
	Type   string // "nvme", "ssd", "hdd"
}

// VMInfo describes a Proxmox VM that was started.
type VMInfo struct {
	VMID        int
	Name        string
	Node        string // Proxmox node name
	Placement   string // the node's datacenter or zone
	Cores       int
	MemoryMiB   int
	DiskBytes   int64
	IPCIDR      string // from cloud-init ipconfig0 "ip=10.20.0.11/24"
	Gateway     string // from ipconfig0 "gw="
	Nameservers []string
	BootISO     string // volume ID of the attached ISO ("local:iso/talos-....iso"), "" if none
	Tags        []string
}
