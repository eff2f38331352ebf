package talos

import (
	"context"
	"math"
	"strconv"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"google.golang.org/protobuf/types/known/emptypb"
)

// The statistics the dashboard polls (LoadAvg, SystemStat, CPUInfo,
// CPUFreqStats, NetworkDeviceStats, DiskStats), derived from the VM
// (cores, memory, disk), the node's role and what it runs, and its uptime:
// counters grow with the time since boot at a rate set by how busy the
// node is, so two polls show plausible rates, and a reboot starts them
// again from zero. Nothing is random.

func init() {
	for _, m := range []string{"LoadAvg", "SystemStat", "CPUInfo", "CPUFreqStats", "NetworkDeviceStats", "DiskStats",
		"Processes", "Logs", "Dmesg"} {
		modelled["/machine.MachineService/"+m] = true
	}
}

// activity is what the statistics are computed from, read under the lock.
type activity struct {
	cores  int
	uptime time.Duration
	boot   time.Time
	busy   float64 // cores' worth of steady CPU use
	cp     bool
	mode   Mode
	etcd   bool // etcd member running
	k8s    bool // kubelet running
}

func (n *node) activity() activity {
	n.mu.Lock()
	defer n.mu.Unlock()
	now := n.ns.env.Now()
	boot := n.bootedAt
	if boot.IsZero() || boot.After(now) {
		boot = now
	}
	a := activity{cores: max(n.vm.Cores, 1), uptime: now.Sub(boot), boot: boot, cp: n.f.controlPlane(), mode: n.mode,
		etcd: n.member != nil && n.member.running(), k8s: !n.kubeletSince.IsZero()}
	// Idle Talos is a few percent of a core; the kubelet and its pods add
	// a little, etcd and the API server a good part of a core.
	a.busy = 0.03
	if a.k8s {
		a.busy += 0.12
	}
	if a.k8s && a.cp {
		a.busy += 0.35
	}
	if a.etcd {
		a.busy += 0.1
	}
	return a
}

func (a activity) seconds() float64 { return a.uptime.Seconds() }

// LoadAvg is the run queue: the steady load, with a slow five-minute wave
// so the dashboard's graph moves as a real node's does.
func (a *machineAPI) LoadAvg(context.Context, *emptypb.Empty) (*machine.LoadAvgResponse, error) {
	act := a.n.activity()
	wave := math.Sin(2 * math.Pi * act.seconds() / 300)
	l := &machine.LoadAvg{Load1: round2(act.busy * (1 + 0.3*wave)), Load5: round2(act.busy * (1 + 0.1*wave)), Load15: round2(act.busy)}
	return &machine.LoadAvgResponse{Messages: []*machine.LoadAvg{l}}, nil
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// SystemStat is /proc/stat: CPU time in seconds since boot per CPU, the
// busy share split between user and system.
func (a *machineAPI) SystemStat(context.Context, *emptypb.Empty) (*machine.SystemStatResponse, error) {
	act := a.n.activity()
	u, share := act.seconds(), min(act.busy/float64(act.cores), 1)
	cpu := func(k float64) *machine.CPUStat {
		return &machine.CPUStat{User: k * u * share * 0.62, System: k * u * share * 0.3, Idle: k * u * (1 - share) * 0.99,
			Iowait: k * u * 0.004, SoftIrq: k * u * share * 0.05, Irq: k * u * share * 0.01, Steal: k * u * 0.002}
	}
	st := &machine.SystemStat{BootTime: uint64(act.boot.Unix()), CpuTotal: cpu(float64(act.cores)),
		ContextSwitches: uint64(u * (800 + 9000*act.busy)), ProcessCreated: uint64(400 + u*(0.5+4*act.busy)),
		ProcessRunning: uint64(1 + math.Round(act.busy)), IrqTotal: uint64(u * (150 + 2000*act.busy)),
		SoftIrqTotal: uint64(u * (100 + 1500*act.busy))}
	for range act.cores {
		st.Cpu = append(st.Cpu, cpu(1))
	}
	return &machine.SystemStatResponse{Messages: []*machine.SystemStat{st}}, nil
}

// CPUInfo is /proc/cpuinfo. tripod's VMs run with cpu=host, so the guest
// sees the host's processor, the one the Proxmox hosts report.
func (a *machineAPI) CPUInfo(context.Context, *emptypb.Empty) (*machine.CPUInfoResponse, error) {
	act := a.n.activity()
	var out []*machine.CPUInfo
	for i := range act.cores {
		id := strconv.Itoa(i)
		out = append(out, &machine.CPUInfo{Processor: uint32(i), VendorId: "AuthenticAMD", CpuFamily: "25", Model: "1",
			ModelName: "AMD EPYC 7313P 16-Core Processor", Stepping: "1", Microcode: "0xa0011d1", CpuMhz: 2999.998,
			CacheSize: "512 KB", PhysicalId: "0", Siblings: uint32(act.cores), CoreId: id, CpuCores: uint32(act.cores),
			ApicId: id, InitialApicId: id, Fpu: "yes", FpuException: "yes", CpuIdLevel: 16, Wp: "yes",
			Flags: []string{"fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", "sep", "mtrr", "pge", "mca", "cmov",
				"pat", "pse36", "clflush", "mmx", "fxsr", "sse", "sse2", "ht", "syscall", "nx", "mmxext", "fxsr_opt", "pdpe1gb",
				"rdtscp", "lm", "rep_good", "nopl", "cpuid", "extd_apicid", "tsc_known_freq", "pni", "pclmulqdq", "ssse3", "fma",
				"cx16", "pcid", "sse4_1", "sse4_2", "x2apic", "movbe", "popcnt", "aes", "xsave", "avx", "f16c", "rdrand",
				"hypervisor", "lahf_lm", "cmp_legacy", "svm", "cr8_legacy", "abm", "sse4a", "misalignsse", "3dnowprefetch",
				"osvw", "topoext", "invpcid_single", "ssbd", "ibrs", "ibpb", "stibp", "vmmcall", "fsgsbase", "bmi1", "avx2",
				"smep", "bmi2", "erms", "invpcid", "rdseed", "adx", "smap", "clflushopt", "clwb", "sha_ni", "xsaveopt",
				"xsavec", "xgetbv1", "xsaves", "clzero", "xsaveerptr", "wbnoinvd", "arat", "npt", "nrip_save", "umip", "pku",
				"ospke", "vaes", "vpclmulqdq", "rdpid", "fsrm", "arch_capabilities"},
			Bugs:     []string{"sysret_ss_attrs", "null_seg", "spectre_v1", "spectre_v2", "spec_store_bypass", "srso"},
			BogoMips: 5999.99, ClFlushSize: 64, CacheAlignment: 64, AddressSizes: "40 bits physical, 48 bits virtual"})
	}
	return &machine.CPUInfoResponse{Messages: []*machine.CPUsInfo{{CpuInfo: out}}}, nil
}

// CPUFreqStats reads cpufreq, which a KVM guest does not have: one entry
// per CPU, all zero, as Talos reports on a VM.
func (a *machineAPI) CPUFreqStats(context.Context, *emptypb.Empty) (*machine.CPUFreqStatsResponse, error) {
	act := a.n.activity()
	var out []*machine.CPUFreqStats
	for range act.cores {
		out = append(out, &machine.CPUFreqStats{})
	}
	return &machine.CPUFreqStatsResponse{Messages: []*machine.CPUsFreqStats{{CpuFreqStats: out}}}, nil
}

// NetworkDeviceStats is /proc/net/dev: lo (etcd and the API server talk
// over it on a control plane) and eth0 (its traffic grows with what the
// node runs), and their total.
func (a *machineAPI) NetworkDeviceStats(context.Context, *emptypb.Empty) (*machine.NetworkDeviceStatsResponse, error) {
	act := a.n.activity()
	u := act.seconds()
	dev := func(name string, rxRate, txRate float64) *machine.NetDev {
		rx, tx := uint64(u*rxRate), uint64(u*txRate)
		return &machine.NetDev{Name: name, RxBytes: rx, RxPackets: rx / 700, TxBytes: tx, TxPackets: tx / 650}
	}
	eth := 2e3 + 60e3*act.busy
	lo := dev("lo", 500+200e3*act.busy*b2f(act.cp), 0)
	lo.TxBytes, lo.TxPackets = lo.RxBytes, lo.RxPackets
	devs := []*machine.NetDev{lo, dev("eth0", eth, eth*0.8)}
	total := &machine.NetDev{Name: "total"}
	for _, d := range devs {
		total.RxBytes += d.RxBytes
		total.RxPackets += d.RxPackets
		total.TxBytes += d.TxBytes
		total.TxPackets += d.TxPackets
	}
	return &machine.NetworkDeviceStatsResponse{Messages: []*machine.NetworkDeviceStats{{Total: total, Devices: devs}}}, nil
}

// DiskStats is /proc/diskstats for the VM's disk and the ISO drive: reads
// mostly at boot, writes at the rate etcd and the logs make them.
func (a *machineAPI) DiskStats(context.Context, *emptypb.Empty) (*machine.DiskStatsResponse, error) {
	act := a.n.activity()
	u := act.seconds()
	wps := 0.5 + 12*act.busy + 25*b2f(act.etcd) // writes per second
	sda := &machine.DiskStat{Name: "sda", ReadCompleted: 9000 + uint64(u*0.2), ReadSectors: 600000 + uint64(u*8),
		WriteCompleted: uint64(u * wps), WriteSectors: uint64(u * wps * 16), WriteTimeMs: uint64(u * wps * 0.4),
		ReadTimeMs: 4200 + uint64(u*0.1), IoTimeMs: uint64(u*wps*0.5) + 3000, IoTimeWeightedMs: uint64(u*wps*0.6) + 4500}
	sr0 := &machine.DiskStat{Name: "sr0", ReadCompleted: 1100, ReadSectors: 210000, ReadTimeMs: 900, IoTimeMs: 950, IoTimeWeightedMs: 900}
	total := &machine.DiskStat{Name: "total"}
	for _, d := range []*machine.DiskStat{sda, sr0} {
		total.ReadCompleted += d.ReadCompleted
		total.ReadSectors += d.ReadSectors
		total.ReadTimeMs += d.ReadTimeMs
		total.WriteCompleted += d.WriteCompleted
		total.WriteSectors += d.WriteSectors
		total.WriteTimeMs += d.WriteTimeMs
		total.IoTimeMs += d.IoTimeMs
		total.IoTimeWeightedMs += d.IoTimeWeightedMs
	}
	return &machine.DiskStatsResponse{Messages: []*machine.DiskStats{{Total: total, Devices: []*machine.DiskStat{sda, sr0}}}}, nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
