package talos

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/api/storage"
	"github.com/siderolabs/talos/pkg/machinery/version"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// machineAPI is machined's MachineService for one node. Methods it does not
// override answer Unimplemented; the interceptors record them as unmodelled
// before they are reached.
type machineAPI struct {
	machine.UnimplementedMachineServiceServer
	n *node
}

type storageAPI struct {
	storage.UnimplementedStorageServiceServer
	n *node
}

// modelled lists the methods the simulator answers; everything else is
// Unimplemented and recorded.
var modelled = map[string]bool{}

func init() {
	for _, m := range []string{"ApplyConfiguration", "Bootstrap", "Version", "Hostname", "Memory", "ServiceList",
		"Reboot", "Reset", "Kubeconfig", "EtcdMemberList", "EtcdSnapshot", "EtcdRecover", "EtcdRemoveMemberByID",
		"EtcdLeaveCluster", "EtcdForfeitLeadership", "EtcdStatus"} {
		modelled["/machine.MachineService/"+m] = true
	}
	modelled["/storage.StorageService/Disks"] = true
}

// Version reports the Talos release; features stay nil until a config is
// in place, as on a real node.
func (a *machineAPI) Version(context.Context, *emptypb.Empty) (*machine.VersionResponse, error) {
	name, mode := a.n.ns.platform()
	v := version.NewVersion()
	v.Os, v.Arch = "linux", "amd64"
	v.Sha = releaseSHA(v.Tag, v.Sha)
	msg := &machine.Version{Version: v, Platform: &machine.PlatformInfo{Name: name, Mode: mode}}
	a.n.mu.Lock()
	if a.n.cfg != nil && a.n.mode != ModeMaintenance {
		msg.Features = &machine.FeaturesInfo{Rbac: true} // RBAC can no longer be turned off
	}
	a.n.mu.Unlock()
	return &machine.VersionResponse{Messages: []*machine.Version{msg}}, nil
}

// releaseSHA is the commit a node reports with its tag. The machinery
// module carries only the tag (its SHA is "undefined" outside Talos's own
// build), so the simulated release reports eight hex digits derived from
// the tag, as `git describe --abbrev=8` prints them: stable, real-looking,
// and not the real release's commit, which the module does not know.
func releaseSHA(tag, sha string) string {
	if sha != "" && sha != "undefined" {
		return sha
	}
	sum := sha256.Sum256([]byte("talos " + tag))
	return hex.EncodeToString(sum[:4])
}

func (a *machineAPI) Hostname(context.Context, *emptypb.Empty) (*machine.HostnameResponse, error) {
	return &machine.HostnameResponse{Messages: []*machine.Hostname{{Hostname: a.n.hostname()}}}, nil
}

// hostname is the config's hostname once configured, else the one the
// nocloud metadata carries (Proxmox sets it to the VM name).
func (n *node) hostname() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.f.hostname != "" {
		return n.f.hostname
	}
	if n.vm.Name != "" {
		return n.vm.Name
	}
	return addrHostname(n.ip)
}

// Memory reports /proc/meminfo in kB, sized from the VM less what the
// kernel keeps: what the node's processes hold (see processes) and the
// kernel's own are used, a page cache of a tenth of the rest.
func (a *machineAPI) Memory(context.Context, *emptypb.Empty) (*machine.MemoryResponse, error) {
	total := uint64(a.n.vmInfo().MemoryMiB) * 1024 * 97 / 100
	used := min((a.n.activity().residentMiB()+180)*1024, total*9/10)
	cached := (total - used) / 10
	free := total - used - cached
	return &machine.MemoryResponse{Messages: []*machine.Memory{{Meminfo: &machine.MemInfo{
		Memtotal: total, Memfree: free, Memavailable: free + cached*8/10, Buffers: total / 200, Cached: cached,
	}}}}, nil
}

// Disks lists the VM's disk as QEMU presents it on virtio-scsi.
func (a *storageAPI) Disks(context.Context, *emptypb.Empty) (*storage.DisksResponse, error) {
	vm := a.n.vmInfo()
	a.n.mu.Lock()
	installed := a.n.installed
	a.n.mu.Unlock()
	d := &storage.Disk{Size: uint64(vm.DiskBytes), Model: "QEMU HARDDISK", DeviceName: "/dev/sda", Name: "QEMU HARDDISK",
		Serial: fmt.Sprintf("drive-scsi0-%d", vm.VMID), Type: storage.Disk_HDD, Modalias: "scsi:t-0x00",
		BusPath: "/pci0000:00/0000:00:05.0/0000:01:01.0/virtio1/host2/target2:0:0/2:0:0:0", SystemDisk: installed,
		Subsystem: "/sys/class/block"}
	return &storage.DisksResponse{Messages: []*storage.Disks{{Disks: []*storage.Disk{d}}}}, nil
}

// ServiceList reports the services Talos runs, with etcd's state and health
// taken from the embedded member, enough for talosctl health's checks.
func (a *machineAPI) ServiceList(context.Context, *emptypb.Empty) (*machine.ServiceListResponse, error) {
	n := a.n
	v := n.etcdView()
	n.mu.Lock()
	mode, cp, since := n.mode, n.f.controlPlane(), n.kubeletSince
	var leader uint64
	if n.member != nil {
		leader = n.member.leader()
	}
	n.mu.Unlock()
	at := timestamppb.New(since)
	if since.IsZero() {
		at = timestamppb.New(n.ns.env.Now())
	}
	ids := []string{"dashboard", "machined", "syslogd", "udevd"}
	if mode != ModeMaintenance {
		ids = append(ids, "apid", "auditd", "containerd", "cri", "kubelet")
		if cp {
			ids = append(ids, "etcd", "trustd")
		}
	}
	sort.Strings(ids)
	var out []*machine.ServiceInfo
	for _, id := range ids {
		state, msg, healthy := "Running", "Health check successful", true
		if id == "etcd" {
			state, msg, healthy = etcdService(v, leader)
		}
		out = append(out, &machine.ServiceInfo{Id: id, State: state,
			Events: &machine.ServiceEvents{Events: []*machine.ServiceEvent{{Msg: msg, State: state, Ts: at}}},
			Health: &machine.ServiceHealth{Healthy: healthy, LastMessage: msg, LastChange: at}})
	}
	return &machine.ServiceListResponse{Messages: []*machine.ServiceList{{Services: out}}}, nil
}

func etcdService(v etcdView, leader uint64) (state, msg string, healthy bool) {
	switch {
	case v.running && leader != 0:
		return "Running", "Health check successful", true
	case v.running:
		return "Running", "context deadline exceeded", false
	case v.data:
		return "Preparing", "Running pre state", false
	}
	return "Preparing", "etcd is waiting to join the cluster, if this node is the first node in the cluster, please run `talosctl bootstrap`", false
}

// Reboot restarts a configured node: apid answers a little longer while it
// shuts down, then it is gone for the rest of OpTalosReboot.
func (a *machineAPI) Reboot(context.Context, *machine.RebootRequest) (*machine.RebootResponse, error) {
	n := a.n
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.mode != ModeConfigured {
		return nil, status.Error(codes.FailedPrecondition, "node is not running")
	}
	n.startPhase(ModeRebooting, simcore.OpTalosReboot, ModeConfigured)
	return &machine.RebootResponse{Messages: []*machine.Reboot{{ActorId: actorID()}}}, nil
}

// Reset wipes the node: a graceful reset of a control plane leaves etcd
// first. Without partitions named it wipes STATE (the config) and EPHEMERAL
// (etcd data); then it reboots into maintenance, or powers off when reboot
// is not asked for, as talosctl reset's default does.
func (a *machineAPI) Reset(_ context.Context, req *machine.ResetRequest) (*machine.ResetResponse, error) {
	n := a.n
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.mode != ModeConfigured {
		return nil, status.Error(codes.FailedPrecondition, "node is not running")
	}
	state, ephemeral := true, true
	if len(req.SystemPartitionsToWipe) > 0 {
		state, ephemeral = false, false
		for _, p := range req.SystemPartitionsToWipe {
			state = state || p.Label == "STATE"
			ephemeral = ephemeral || p.Label == "EPHEMERAL"
		}
	}
	next := ModeOff
	switch {
	case req.Reboot && state:
		next = ModeMaintenance
	case req.Reboot:
		next = ModeConfigured
	}
	n.wipeState, n.wipeEtcd = state, ephemeral
	n.gracefulLeave = req.Graceful && ephemeral && n.f.controlPlane()
	n.startPhase(ModeResetting, simcore.OpTalosReset, next)
	return &machine.ResetResponse{Messages: []*machine.Reset{{ActorId: actorID()}}}, nil
}

// checkControlPlane is machined's guard for control-plane-only APIs.
func (n *node) checkControlPlane(api string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.f.controlPlane() {
		return status.Errorf(codes.Unimplemented, "%s is only available on control plane nodes", api)
	}
	return nil
}

// actorID is the ID of the sequence a Reboot or Reset starts.
func actorID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
