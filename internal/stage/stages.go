package stage

import (
	"strings"

	"github.com/tripod-dev/tripod/internal/run"
)

// Stage names, as `tripod up --until` takes them.
const (
	Preflight     = "preflight"
	Servers       = "servers"
	OS            = "os"
	PVECluster    = "pvecluster"
	Network       = "network"
	Ceph          = "ceph"
	Images        = "images"
	VMs           = "vms"
	MachineConfig = "machineconfig"
	Apply         = "apply"
	Bootstrap     = "bootstrap"
	Health        = "health"
	Harden        = "harden"
	ScaleIn       = "scalein"
)

// List is the whole run, in the order a reader should see it. Execution is
// per target: each target starts as soon as what it needs is done. The
// private network comes before the Proxmox cluster (the design's table lists
// them the other way round) because corosync's link runs on it: a host
// joins once its own bridge has its private address.
func List(env *Env) []run.Stage {
	return []run.Stage{
		&preflight{env},     // credentials, stock per datacenter, Proxmox VE offered, survivable layout
		&servers{env},       // order (journaled first) or adopt; ownership tags; wait for delivery
		&osInstall{env},     // install Proxmox VE; pin the TLS fingerprint; API token
		&network{env},       // private network between AZs and the VM bridge on each host (corosync runs on it)
		&pveCluster{env},    // RTT between hosts; create on the first host; join the others one by one
		&ceph{env},          // pveceph, monitors per AZ, OSDs, CRUSH datacenter rule, pools, HEALTH_OK
		&images{env},        // Talos nocloud ISO from the Image Factory on every node, checksum verified
		&vms{env},           // control planes and workers, placed per AZ, started with static addresses
		&machineConfig{env}, // secrets bundle once; per-node configs, patched and validated; talosconfig
		&apply{env},         // maintenance API at each static address; apply; wait for mTLS
		&bootstrap{env},     // Bootstrap once on the first control plane; etcd member per control plane
		&health{env},        // Kubernetes ready through the endpoint; nodes Ready with zones; kubeconfig
		&harden{env},        // sshd keys only; the Proxmox firewall: private services on the VLAN only, SSH (and 8006 from allowed sources) public
		&scaleIn{env},       // surplus workers: cordon, drain, delete the node; stop and delete the VM
	}
}

// Names lists the stage names in order.
func Names() []string {
	return run.StageNames(List(&Env{}))
}

// Pools sizes the run's concurrency pools (run.Runner.Pools): Proxmox
// cluster joins one at a time (corosync reconfigures on each), VM creation a
// few at a time per node (qmcreate and clone time out on the node's storage
// lock when crowded). Any other pool (ceph-osd:<host>) is the runner's
// default size.
func Pools(pool string) int {
	switch {
	case pool == "pvecluster-join":
		return 1
	case strings.HasPrefix(pool, "proxmox-node:"):
		return 3
	}
	return 0
}
