package scaleway

import "strings"

// dOffer is one Dedibox server offer. No recording of dedibox/v1 exists:
// capacities are Scaleway's datasheet values as given in the project brief;
// where the brief is silent (the CPUs of START-9-M, PRO-9-S/M/L, CORE-10-XS/S/
// M/XL/XXL and STORE-9-S/L, the disk kind of STORE-9-S/L, every ID and price)
// the values are plausible stand-ins, marked "assumed". Every offer has
// 1 Gbps public and private (RPN) bandwidth and RPNv2.
type dOffer struct {
	ID                  uint64
	Name, Range         string
	CPU                 string
	Cores, Threads, MHz uint32
	MemGB               uint64 // DDR4 ECC
	Disks               int    // NVMe
	DiskBytes           uint64
	CentsPerMonth       int64
}

var dOffers = []dOffer{
	{ID: 81001, Name: "START-9-S", Range: "start", CPU: "AMD Ryzen 5 PRO 3600", Cores: 6, Threads: 12, MHz: 3600, MemGB: 16, Disks: 2, DiskBytes: 1000 * giga, CentsPerMonth: 1599},
	{ID: 81002, Name: "START-9-M", Range: "start", CPU: "AMD Ryzen 7 PRO 3700", Cores: 8, Threads: 16, MHz: 3600, MemGB: 32, Disks: 2, DiskBytes: 1000 * giga, CentsPerMonth: 2599}, // assumed
	{ID: 81101, Name: "PRO-9-XS", Range: "pro", CPU: "AMD EPYC 7281", Cores: 16, Threads: 32, MHz: 2100, MemGB: 32, Disks: 2, DiskBytes: 1000 * giga, CentsPerMonth: 3999},
	{ID: 81102, Name: "PRO-9-S", Range: "pro", CPU: "AMD EPYC 7281", Cores: 16, Threads: 32, MHz: 2100, MemGB: 64, Disks: 2, DiskBytes: 1000 * giga, CentsPerMonth: 5499},       // assumed
	{ID: 81103, Name: "PRO-9-M", Range: "pro", CPU: "AMD EPYC 7281", Cores: 16, Threads: 32, MHz: 2100, MemGB: 128, Disks: 2, DiskBytes: 2000 * giga, CentsPerMonth: 7999},      // assumed
	{ID: 81104, Name: "PRO-9-L", Range: "pro", CPU: "AMD EPYC 7351P", Cores: 16, Threads: 32, MHz: 2400, MemGB: 256, Disks: 2, DiskBytes: 2000 * giga, CentsPerMonth: 11999},    // assumed
	{ID: 81201, Name: "CORE-10-XS", Range: "core", CPU: "AMD EPYC 7232P", Cores: 8, Threads: 16, MHz: 3100, MemGB: 64, Disks: 2, DiskBytes: 960 * giga, CentsPerMonth: 4999},    // CPU assumed
	{ID: 81202, Name: "CORE-10-S", Range: "core", CPU: "AMD EPYC 7272", Cores: 12, Threads: 24, MHz: 2900, MemGB: 128, Disks: 2, DiskBytes: 1920 * giga, CentsPerMonth: 7999},   // CPU assumed
	{ID: 81203, Name: "CORE-10-M", Range: "core", CPU: "AMD EPYC 7302P", Cores: 16, Threads: 32, MHz: 3000, MemGB: 192, Disks: 2, DiskBytes: 1920 * giga, CentsPerMonth: 10999}, // CPU and disks assumed
	{ID: 81204, Name: "CORE-10-L", Range: "core", CPU: "AMD EPYC 7313P", Cores: 16, Threads: 32, MHz: 3000, MemGB: 256, Disks: 2, DiskBytes: 1920 * giga, CentsPerMonth: 13999},
	{ID: 81205, Name: "CORE-10-XL", Range: "core", CPU: "AMD EPYC 7443P", Cores: 24, Threads: 48, MHz: 2850, MemGB: 384, Disks: 2, DiskBytes: 3840 * giga, CentsPerMonth: 19999},  // CPU assumed
	{ID: 81206, Name: "CORE-10-XXL", Range: "core", CPU: "AMD EPYC 7543P", Cores: 32, Threads: 64, MHz: 2800, MemGB: 512, Disks: 2, DiskBytes: 3840 * giga, CentsPerMonth: 27999}, // CPU assumed
	{ID: 81301, Name: "STORE-9-S", Range: "store", CPU: "AMD EPYC 7232P", Cores: 8, Threads: 16, MHz: 3100, MemGB: 64, Disks: 4, DiskBytes: 2000 * giga, CentsPerMonth: 6999},     // CPU and disk kind assumed
	{ID: 81302, Name: "STORE-9-M", Range: "store", CPU: "AMD EPYC 7232P", Cores: 8, Threads: 16, MHz: 3100, MemGB: 128, Disks: 4, DiskBytes: 4000 * giga, CentsPerMonth: 9999},
	{ID: 81303, Name: "STORE-9-L", Range: "store", CPU: "AMD EPYC 7232P", Cores: 8, Threads: 16, MHz: 3100, MemGB: 256, Disks: 4, DiskBytes: 8000 * giga, CentsPerMonth: 14999}, // CPU and disk kind assumed
}

func dOfferByID(id uint64) (dOffer, bool) {
	for _, o := range dOffers {
		if o.ID == id {
			return o, true
		}
	}
	return dOffer{}, false
}

func dOfferByName(name string) (dOffer, bool) {
	for _, o := range dOffers {
		if strings.EqualFold(o.Name, name) {
			return o, true
		}
	}
	return dOffer{}, false
}

// dOS is one Dedibox OS. IDs are stand-ins (no recording exists).
type dOS struct {
	ID            uint64
	Name, Version string
	Type          string // server, virtu
	RequiresUser  bool   // user_login and user_password
	RequiresRoot  bool   // root_password (requires_admin_password)
	AllowSSHKeys  bool
	Proxmox       bool
	NotOnRange    string // offer range it cannot be installed on
	Released      string
}

var dOSes = []dOS{
	{ID: 3201, Name: "Proxmox", Version: "VE 8.4", Type: "virtu", RequiresRoot: true, AllowSSHKeys: true, Proxmox: true, Released: "2025-04-09"},
	{ID: 3202, Name: "Proxmox", Version: "VE 9.0", Type: "virtu", RequiresRoot: true, AllowSSHKeys: true, Proxmox: true, Released: "2025-08-05"},
	{ID: 3101, Name: "Debian", Version: "12 (Bookworm)", Type: "server", RequiresUser: true, RequiresRoot: true, AllowSSHKeys: true, Released: "2023-06-10"},
	{ID: 3102, Name: "Debian", Version: "13 (Trixie)", Type: "server", RequiresUser: true, RequiresRoot: true, AllowSSHKeys: true, Released: "2025-08-09"},
	{ID: 3111, Name: "Ubuntu", Version: "24.04 LTS (Noble Numbat)", Type: "server", RequiresUser: true, AllowSSHKeys: true, Released: "2024-04-25"},
	{ID: 3301, Name: "ESXi", Version: "8.0U3", Type: "virtu", RequiresRoot: true, NotOnRange: "start", Released: "2024-06-25"},
}

func dOSByID(id uint64) (dOS, bool) {
	for _, o := range dOSes {
		if o.ID == id {
			return o, true
		}
	}
	return dOS{}, false
}

func (os dOS) allowedOn(o dOffer) bool { return os.NotOnRange != o.Range }
