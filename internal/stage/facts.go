package stage

import (
	"sync"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/scaleway"
)

// facts is what the stages of one run observed for the steps after them,
// each kind published by the one step that observes it. Every fact the
// stages share is a field here, with its accessors below: the run carries
// the table (run.Table), this file alone knows what is in it.
type facts struct {
	mu sync.Mutex
	// hosts: a host's server, from servers (os adds the address it installed
	// at; down's find-servers publishes the same).
	hosts map[string]HostFact
	// vlans: the VLAN a host's private traffic is tagged with on its link,
	// from the network stage's private-network target: the inventory's for
	// Dedibox RPNv2, the one Scaleway assigned for an Elastic Metal private
	// network.
	vlans map[string]int
	// vms: a Talos VM as the vms stage observed it.
	vms map[string]VMFact
	// downServers: the server down's find-servers found for a host.
	downServers map[string]*scaleway.Server
	ceph        *CephSummary  // from ceph/health, for the run summary
	talos       *TalosSummary // from health, for the run summary
	exposure    exposureFacts // from harden, for status
}

// factsOf is the facts table of st's run.
func factsOf(st *run.Step) *facts { return tableOf(st.Facts()) }

// tableOf is the stages' facts table in a run's facts.
func tableOf(f *run.Facts) *facts { return run.Table[facts](f) }

// getFact and setFact read and write one of f's maps under its lock (the
// map is passed by address: the field itself is written on first use).
func getFact[V any](f *facts, m *map[string]V, key string) (V, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := (*m)[key]
	return v, ok
}

func setFact[V any](f *facts, m *map[string]V, key string, v V) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if *m == nil {
		*m = map[string]V{}
	}
	(*m)[key] = v
}

// Host is what the servers stage observed of host's server.
func (f *facts) Host(host string) (HostFact, bool) { return getFact(f, &f.hosts, host) }

// SetHost publishes host's server.
func (f *facts) SetHost(host string, v HostFact) { setFact(f, &f.hosts, host, v) }

// VLAN is the VLAN host's private network traffic is tagged with.
func (f *facts) VLAN(host string) (int, bool) { return getFact(f, &f.vlans, host) }

// SetVLAN publishes host's private VLAN.
func (f *facts) SetVLAN(host string, vlan int) { setFact(f, &f.vlans, host, vlan) }

// SetVM publishes what the vms stage observed of a VM.
func (f *facts) SetVM(vm string, v VMFact) { setFact(f, &f.vms, vm, v) }

// DownServer is the server down's find-servers found for host, if any.
func (f *facts) DownServer(host string) (*scaleway.Server, bool) {
	return getFact(f, &f.downServers, host)
}

// SetDownServer publishes the server found for host.
func (f *facts) SetDownServer(host string, srv *scaleway.Server) {
	setFact(f, &f.downServers, host, srv)
}

// SetCeph publishes Ceph's state for the run summary.
func (f *facts) SetCeph(s CephSummary) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ceph = &s
}

// SetTalos publishes how to reach the cluster, for the run summary.
func (f *facts) SetTalos(s TalosSummary) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.talos = &s
}

// CephSummaryOf is the Ceph summary the ceph stage published in a run's
// facts, for the CLI's run summary and status.
func CephSummaryOf(f *run.Facts) (CephSummary, bool) {
	t := tableOf(f)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ceph == nil {
		return CephSummary{}, false
	}
	return *t.ceph, true
}

// TalosSummaryOf is the summary the health stage published in a run's
// facts, for the CLI's run summary and status.
func TalosSummaryOf(f *run.Facts) (TalosSummary, bool) {
	t := tableOf(f)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.talos == nil {
		return TalosSummary{}, false
	}
	return *t.talos, true
}

// HostFact is what the servers stage observed about a host's server, for the
// stages after it. It is published on every run, also when nothing changed.
type HostFact struct {
	ServerID string
	Provider inventory.Provider
	Zone     string // the Scaleway API zone the server is managed in
	PublicIP string // where Proxmox (8006) and SSH (22) answer once installed
	Adopted  bool
}

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

// CephSummary is Ceph's state as the run last observed it.
type CephSummary struct {
	Health string   // HEALTH_OK, or the open checks
	Pools  []string // the pools, which are also Proxmox storages
}
