package talos

import (
	"time"

	"github.com/siderolabs/talos/pkg/machinery/resources/runtime"
	timeres "github.com/siderolabs/talos/pkg/machinery/resources/time"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// A node's egress: its route and resolvers come from its cloud-init config
// (what Proxmox gave the VM) until a config is in place, then from the
// config, falling back to the platform's where the config names none, as
// Talos merges its platform and config network layers. Whether they get
// out is the network's answer (simcore.Env.Egress); the node shows it as
// real Talos does, in its TimeStatus and MachineStatus resources, and its
// install pulls machine.install.image through it.

// logLines is how much of its log a node keeps.
const logLines = 200

// egressLocked is the node's route and resolvers, its time servers and
// whether time sync is off (n.mu held).
func (n *node) egressLocked() (simcore.EgressFrom, []string, bool) {
	from := simcore.EgressFrom{Address: n.vm.IPCIDR, Placement: n.vm.Placement, Gateway: n.vm.Gateway, Resolvers: n.vm.Nameservers}
	if n.cfg == nil {
		return from, nil, false
	}
	if n.f.gateway != "" {
		from.Gateway = n.f.gateway
	}
	if len(n.f.resolvers) > 0 {
		from.Resolvers = n.f.resolvers
	}
	return from, n.f.timeServers, n.f.timeSyncOff
}

// syncResources brings the node's resources up to date: TimeStatus synced
// only while its time servers answer through its route, MachineStatus with
// its stage and what keeps it from being ready, then the network, cluster
// and service resources (cosi_network.go, cosi_cluster.go). Called from the loop, with
// no lock held (egress asks the Proxmox hosts).
func (n *node) syncResources() {
	n.mu.Lock()
	mode, pullErr := n.mode, n.pullErr
	from, servers, off := n.egressLocked()
	stage := machineStage(mode)
	if mode == ModeInstalling && n.phase.op == simcore.OpTalosInstall && n.ns.env.Done(n.phase.since, n.phase.op, n.key()) {
		// Installed and rebooted into the config, but not up yet (a
		// worker waits for a control plane's trustd to sign apid's
		// certificate).
		stage = runtime.MachineStageBooting
	}
	n.mu.Unlock()
	running := mode != ModeOff && mode != ModeBooting
	synced := off || (running && n.ns.env.SyncTime(from, servers) == nil)
	n.mu.Lock()
	n.timeSynced = synced
	n.mu.Unlock()

	ts := timeres.NewStatus()
	ts.TypedSpec().Synced, ts.TypedSpec().SyncDisabled = synced, off
	n.res.put(ts, "time.SyncController")

	ms := runtime.NewMachineStatus()
	spec := ms.TypedSpec()
	spec.Stage = stage
	if !synced {
		spec.Status.UnmetConditions = append(spec.Status.UnmetConditions, runtime.UnmetCondition{Name: "time", Reason: "time is not synced"})
	}
	if mode == ModeInstalling && pullErr != "" {
		spec.Status.UnmetConditions = append(spec.Status.UnmetConditions, runtime.UnmetCondition{Name: "install", Reason: pullErr})
	}
	spec.Status.Ready = mode == ModeConfigured && len(spec.Status.UnmetConditions) == 0
	n.res.put(ms, "runtime.MachineStatusController")
	n.syncNetwork()
	n.syncCluster()
	n.syncServices()
	n.syncBlock()
	n.syncConfig()
	n.syncDashboard()
}

func machineStage(m Mode) runtime.MachineStage {
	switch m {
	case ModeBooting:
		return runtime.MachineStageBooting
	case ModeMaintenance:
		return runtime.MachineStageMaintenance
	case ModeInstalling:
		return runtime.MachineStageInstalling
	case ModeConfigured:
		return runtime.MachineStageRunning
	case ModeRebooting:
		return runtime.MachineStageRebooting
	case ModeResetting:
		return runtime.MachineStageResetting
	}
	return runtime.MachineStageShuttingDown
}

// pullInstaller is the install's image pull at the end of the install
// phase: without egress it fails with the error a real node logs, and the
// install starts over (the node stays installing and retries). A node that
// was installed before pulls nothing.
func (n *node) pullInstaller() bool {
	n.mu.Lock()
	installed, image := n.installed, n.f.installImage
	from, _, _ := n.egressLocked()
	n.mu.Unlock()
	if installed || image == "" {
		return true
	}
	err := n.ns.env.PullImage(from, image)
	n.mu.Lock()
	defer n.mu.Unlock()
	if err == nil {
		n.pullErr = ""
		n.logLocked("[talos] pulled installer image " + image)
		return true
	}
	n.pullErr = err.Error()
	n.logLocked("[talos] install failed: " + err.Error())
	if n.mode == ModeInstalling {
		n.phase.since = n.ns.env.Now()
	}
	return false
}

// logLocked appends a line to the node's log (n.mu held), keeping the last
// logLines.
func (n *node) logLocked(line string) {
	n.log = append(n.log, n.ns.env.Now().UTC().Format(time.RFC3339Nano)+" "+line)
	if len(n.log) > logLines {
		n.log = n.log[len(n.log)-logLines:]
	}
}

// Log returns what the node at address logged, oldest first.
func (ns *Nodes) Log(address string) []string {
	n := ns.byIP(address)
	if n == nil {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.log...)
}
