package talos

import (
	"context"
	"strings"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"google.golang.org/protobuf/types/known/emptypb"
)

// proc is one process a Talos node runs: its command line, its share of
// the node's busy CPU and its resident memory.
type proc struct {
	exe, args string
	cpu       float64 // share of the node's busy time
	rssMiB    uint64
	threads   int32
}

// processes are what ps shows on a Talos node in its mode: machined as
// init, udevd and the dashboard always; once configured, apid, the two
// containerd instances and the kubelet, with trustd, etcd and the static
// control plane pods on a control plane (each behind its containerd shim).
func (a activity) processes() []proc {
	ps := []proc{
		{exe: "/sbin/init", cpu: 0.08, rssMiB: 95, threads: 14},
		{exe: "/sbin/udevd", args: "--resolve-names=never", cpu: 0.005, rssMiB: 8, threads: 1},
		{exe: "/sbin/dashboard", cpu: 0.02, rssMiB: 40, threads: 9},
	}
	if a.mode != ModeConfigured && a.mode != ModeRebooting && a.mode != ModeResetting {
		return ps
	}
	ps = append(ps,
		proc{exe: "/sbin/apid", cpu: 0.02, rssMiB: 35, threads: 10},
		proc{exe: "/bin/containerd", args: "--address /system/run/containerd/containerd.sock --state /system/run/containerd --root /system/var/lib/containerd", cpu: 0.01, rssMiB: 30, threads: 12},
		proc{exe: "/bin/containerd", args: "--address /run/containerd/containerd.sock --config /etc/cri/containerd.toml", cpu: 0.04, rssMiB: 55, threads: 15},
	)
	if a.cp {
		ps = append(ps, proc{exe: "/sbin/trustd", cpu: 0.005, rssMiB: 25, threads: 8})
	}
	if a.k8s {
		ps = append(ps, proc{exe: "/usr/local/bin/kubelet", args: "--config=/etc/kubernetes/kubelet.yaml --kubeconfig=/etc/kubernetes/kubeconfig-kubelet --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubeconfig --cert-dir=/var/lib/kubelet/pki --node-ip=", cpu: 0.12, rssMiB: 90, threads: 16})
		ps = append(ps, proc{exe: "/usr/local/bin/kube-proxy", args: "--cluster-cidr=10.244.0.0/16 --conntrack-max-per-core=0 --hostname-override= --kubeconfig=/etc/kubernetes/kubeconfig --proxy-mode=iptables", cpu: 0.01, rssMiB: 28, threads: 9})
		ps = append(ps, proc{exe: "/opt/bin/flanneld", args: "--ip-masq --kube-subnet-mgr", cpu: 0.01, rssMiB: 25, threads: 10})
	}
	if a.etcd {
		ps = append(ps, proc{exe: "/usr/local/bin/etcd", args: "--data-dir=/var/lib/etcd --listen-client-urls=https://0.0.0.0:2379 --listen-peer-urls=https://0.0.0.0:2380", cpu: 0.2, rssMiB: 180, threads: 14})
	}
	if a.k8s && a.cp {
		ps = append(ps,
			proc{exe: "/usr/local/bin/kube-apiserver", args: "--etcd-servers=https://localhost:2379 --secure-port=6443 --service-cluster-ip-range=10.96.0.0/12", cpu: 0.3, rssMiB: 420, threads: 18},
			proc{exe: "/usr/local/bin/kube-controller-manager", args: "--leader-elect=true --use-service-account-credentials", cpu: 0.05, rssMiB: 90, threads: 10},
			proc{exe: "/usr/local/bin/kube-scheduler", args: "--leader-elect=true", cpu: 0.02, rssMiB: 40, threads: 9},
		)
	}
	return ps
}

// Processes lists them with PIDs in start order (the pods' under the CRI
// containerd), CPU time from the uptime and the node's busy share.
func (a *machineAPI) Processes(context.Context, *emptypb.Empty) (*machine.ProcessesResponse, error) {
	act := a.n.activity()
	var out []*machine.ProcessInfo
	u := act.seconds()
	for i, p := range act.processes() {
		pid, ppid := int32(1), int32(0)
		if i > 0 {
			pid, ppid = int32(700+37*i), 1
		}
		cmd := p.exe[strings.LastIndex(p.exe, "/")+1:]
		args := p.exe
		if p.args != "" {
			args += " " + p.args
		}
		rss := p.rssMiB << 20
		out = append(out, &machine.ProcessInfo{Pid: pid, Ppid: ppid, State: "S", Threads: p.threads,
			CpuTime: round2(u * act.busy * p.cpu / 0.6), VirtualMemory: rss*9 + 700<<20, ResidentMemory: rss,
			Command: cmd, Executable: p.exe, Args: args})
	}
	return &machine.ProcessesResponse{Messages: []*machine.Process{{Processes: out}}}, nil
}

// residentMiB is the resident memory of what the node runs, for Memory.
func (a activity) residentMiB() uint64 {
	var sum uint64
	for _, p := range a.processes() {
		sum += p.rssMiB
	}
	return sum
}
