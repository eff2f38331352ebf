package inventory

import "sort"

// Offer is the capacity of one commercial offer.
type Offer struct {
	Name                 string
	Provider             Provider
	CPU                  string
	Threads              int
	Memory               Size
	Disks                []Size
	PrivateBandwidthGbps float64
}

const (
	gib = Size(1 << 30)
	tb  = Size(1e12)
	gb  = Size(1e9)
)

func disks(n int, each Size) []Size {
	out := make([]Size, n)
	for i := range out {
		out[i] = each
	}
	return out
}

// builtinOffers is the capacity table. Dedibox figures are from Scaleway's
// Dedibox datasheet (docs-content, dedibox-datasheet.mdx, validated
// 2025-07-15); Elastic Metal figures are from the offers the baremetal/v1 API
// returned in Scaleway's recorded cassettes (fr-par-2, 2025), memory rounded
// to the nominal size. An inventory's offers list overrides entries by name.
var builtinOffers = []Offer{
	{"START-9-S", Dedibox, "AMD Ryzen 5 PRO 3600", 12, 16 * gib, disks(2, 1*tb), 1},
	{"START-9-M", Dedibox, "AMD Ryzen 5 PRO 3600", 12, 32 * gib, disks(2, 1*tb), 1},
	{"PRO-9-XS", Dedibox, "AMD EPYC 7281", 32, 32 * gib, disks(2, 1*tb), 1},
	{"PRO-9-S", Dedibox, "AMD EPYC 7281", 32, 96 * gib, disks(2, 1*tb), 1},
	{"PRO-9-M", Dedibox, "AMD EPYC 7272", 24, 128 * gib, disks(2, 1*tb), 1},
	{"PRO-9-L", Dedibox, "AMD EPYC 7272", 24, 256 * gib, disks(2, 2*tb), 1},
	{"CORE-9-S", Dedibox, "AMD EPYC 7401P", 48, 128 * gib, disks(2, 1*tb), 1},
	{"CORE-9-M", Dedibox, "AMD EPYC 7401P", 48, 256 * gib, disks(2, 1*tb), 1},
	{"CORE-9-L", Dedibox, "AMD EPYC 7313P", 32, 256 * gib, disks(2, 1920*gb), 1},
	{"STORE-9-S", Dedibox, "AMD EPYC 7232P", 16, 64 * gib, disks(4, 2*tb), 1},
	{"STORE-9-M", Dedibox, "AMD EPYC 7232P", 16, 128 * gib, disks(4, 4*tb), 1},
	{"STORE-9-L", Dedibox, "AMD EPYC 7232P", 16, 256 * gib, disks(4, 8*tb), 1},
	{"CORE-10-XS", Dedibox, "AMD EPYC 7313P", 32, 64 * gib, disks(2, 960*gb), 1},
	{"CORE-10-S", Dedibox, "AMD EPYC 7313P", 32, 128 * gib, disks(2, 1920*gb), 1},
	{"CORE-10-M", Dedibox, "AMD EPYC 7313P", 32, 192 * gib, disks(2, 1920*gb), 1},
	{"CORE-10-L", Dedibox, "AMD EPYC 7313P", 32, 256 * gib, disks(2, 1920*gb), 1},
	{"CORE-10-XL", Dedibox, "AMD EPYC 7313P", 32, 384 * gib, disks(2, 3840*gb), 1},
	{"CORE-10-XXL", Dedibox, "AMD EPYC 7313P", 32, 512 * gib, disks(2, 3840*gb), 1},

	{"EM-A116X-SSD", ElasticMetal, "Intel Xeon E3 1220", 4, 32 * gib, disks(2, 1024*gb), 1},
	{"EM-A215R-HDD", ElasticMetal, "AMD Ryzen PRO 3600", 12, 16 * gib, disks(2, 1000*gb), 1},
	{"EM-A610R-NVME", ElasticMetal, "AMD Ryzen PRO 3600", 12, 32 * gib, disks(2, 1024*gb), 1},
	{"EM-B220E-NVME", ElasticMetal, "AMD EPYC 7232P", 16, 64 * gib, disks(2, 1024*gb), 10},
	{"EM-B320E-NVME", ElasticMetal, "AMD EPYC 7232P", 16, 128 * gib, disks(2, 2048*gb), 10},
	{"EM-B420E-NVME", ElasticMetal, "AMD EPYC 7272", 24, 128 * gib, disks(2, 1024*gb), 10},
	{"EM-B520E-NVME", ElasticMetal, "AMD EPYC 7272", 24, 256 * gib, disks(2, 2048*gb), 10},
	{"EM-I120E-NVME", ElasticMetal, "AMD EPYC 8024P", 16, 64 * gib, disks(2, 960*gb), 25},
	{"EM-I210E-NVME", ElasticMetal, "AMD EPYC 7313P", 32, 128 * gib, disks(2, 1920*gb), 10},
	{"EM-I215E-NVME", ElasticMetal, "AMD EPYC 7313P", 32, 256 * gib, disks(2, 1920*gb), 10},
	{"EM-I220E-NVME", ElasticMetal, "AMD EPYC 8124P", 32, 128 * gib, disks(2, 960*gb), 25},
	{"EM-I320E-NVME", ElasticMetal, "AMD EPYC 8224P", 48, 192 * gib, disks(2, 1920*gb), 25},
	{"EM-I420E-NVME", ElasticMetal, "AMD EPYC 8324P", 64, 256 * gib, disks(2, 1920*gb), 25},
	{"EM-I520E-NVME", ElasticMetal, "AMD EPYC 8434P", 96, 384 * gib, disks(2, 3840*gb), 25},
	{"EM-I620E-NVME", ElasticMetal, "AMD EPYC 8534P", 128, 576 * gib, disks(2, 3840*gb), 25},
	{"EM-L220E-NVME", ElasticMetal, "AMD EPYC 7232P", 16, 64 * gib, disks(4, 2048*gb), 10},
	{"EM-L420E-NVME", ElasticMetal, "AMD EPYC 7272", 24, 128 * gib, disks(4, 4000*gb), 10},
	{"EM-I525E-NVME", ElasticMetal, "AMD EPYC 8434P", 96, 384 * gib, disks(4, 7680*gb), 25},
}

// OfferTable is the built-in table with an inventory's overrides applied.
type OfferTable map[string]Offer

// Offers returns the built-in table merged with overrides.
func Offers(overrides []OfferSpec) OfferTable {
	t := OfferTable{}
	for _, o := range builtinOffers {
		t[o.Name] = o
	}
	for _, s := range overrides {
		bw := s.PrivateBandwidthGbps
		if bw == 0 {
			bw = 1
		}
		t[s.Name] = Offer{Name: s.Name, Provider: s.Provider, CPU: "(from inventory)", Threads: s.Threads, Memory: s.Memory, Disks: s.Disks, PrivateBandwidthGbps: bw}
	}
	return t
}

// Names lists the table's offers of provider p, sorted.
func (t OfferTable) Names(p Provider) []string {
	var out []string
	for n, o := range t {
		if o.Provider == p {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// Host resources kept back from VMs: Proxmox itself, and Ceph daemons at their
// default memory targets (osd_memory_target is 4 GiB per OSD).
const (
	hostReservedThreads   = 2
	hostReservedMemory    = 4 * gib
	osdReservedThreads    = 1
	osdReservedMemory     = 4 * gib
	monMgrReservedMemory  = 2 * gib
	monMgrReservedThreads = 1
)

// Allocatable is what a host can give to VMs after Proxmox and Ceph.
func (o Offer) Allocatable(h Host) (threads int, memory Size) {
	threads = o.Threads - hostReservedThreads
	memory = o.Memory - hostReservedMemory
	if h.HasRole(RoleCephOSD) {
		threads -= osdReservedThreads * len(h.DataDisks)
		memory -= osdReservedMemory * Size(len(h.DataDisks))
	}
	if h.HasRole(RoleCephMon) {
		threads -= monMgrReservedThreads
		memory -= monMgrReservedMemory
	}
	return max(threads, 0), max(memory, 0)
}
