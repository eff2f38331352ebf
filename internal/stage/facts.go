package stage

import "github.com/tripod-dev/tripod/internal/inventory"

// HostFact is what the servers stage observed about a host's server, for the
// stages after it. It is published on every run, also when nothing changed.
type HostFact struct {
	ServerID string
	Provider inventory.Provider
	Zone     string // the Scaleway API zone the server is managed in
	PublicIP string // where Proxmox (8006) and SSH (22) answer once installed
	Adopted  bool
}

func hostFactKey(host string) string { return "host/" + host }

// Names of secrets in the state directory's store.
const (
	// secretSSHKey is the cluster's SSH private key (OpenSSH PEM), installed
	// for root on every host at OS install.
	secretSSHKey = "ssh-key"
	// secretTalosBundle is the Talos secrets bundle (YAML), generated once.
	secretTalosBundle = "talos-secrets.yaml"
)

// secretRootPassword names a host's generated root password.
func secretRootPassword(host string) string { return "root-password." + host }

// secretPVEToken names the Proxmox API token secret used for a host.
func secretPVEToken(host string) string { return "pve-token." + host }

// ServerTag is the ownership tag on every Scaleway server tripod orders or
// adopts for this cluster: what down may release, and all it may release.
func (e *Env) ServerTag() string { return "tripod-cluster=" + e.Cluster().Name }

// VMTag is the ownership tag on every Proxmox VM tripod creates (Proxmox
// tags allow only [a-z0-9_+.-], so it cannot be the server tag).
func (e *Env) VMTag() string { return "tripod-" + e.Cluster().Name }

// CephSummaryFact is where the ceph stage publishes a CephSummary for the
// run summary.
const CephSummaryFact = "summary/ceph"

// CephSummary is Ceph's state as the run last observed it.
type CephSummary struct {
	Health string   // HEALTH_OK, or the open checks
	Pools  []string // the pools, which are also Proxmox storages
}
