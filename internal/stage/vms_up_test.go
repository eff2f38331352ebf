package stage

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/run"
	simpve "github.com/tripod-dev/tripod/internal/sim/proxmox"
	"github.com/tripod-dev/tripod/internal/simtest"
)

// checkProxmoxBuilt asserts what up until vms leaves: one quorate cluster
// of every host; Ceph HEALTH_OK with a datacenter bucket per AZ, the
// datacenter rule and every pool on its rule; the ISO on every node; every
// VM running on its planned node with its tags and cloud-init address.
func checkProxmoxBuilt(t *testing.T, w *pveWorld) {
	t.Helper()
	e := w.Env
	s := w.World.Proxmox.State()
	if len(s.Clusters) != 1 || !s.Cluster.Quorate || s.Cluster.Name != e.Cluster().Proxmox.ClusterName || len(s.Cluster.Nodes) != len(e.Layout().Hosts) {
		t.Errorf("clusters = %+v; want one quorate %s of %d hosts", s.Clusters, e.Cluster().Proxmox.ClusterName, len(e.Layout().Hosts))
	}
	if s.Ceph.Health != "HEALTH_OK" || !slices.Contains(s.Ceph.Rules, cephRuleDatacenter) || len(s.Ceph.Datacenters) != 3 {
		t.Errorf("ceph = health %s rules %v datacenters %v checks %v", s.Ceph.Health, s.Ceph.Rules, s.Ceph.Datacenters, s.Ceph.Checks)
	}
	for _, p := range e.Cluster().Ceph.Pools {
		found := false
		for _, have := range s.Ceph.Pools {
			if have.Name == p.Name {
				found = true
				if have.Rule != cephRule(p.FailureDomain) || have.Size != p.Size || have.MinSize != p.MinSize {
					t.Errorf("pool %s = %+v", p.Name, have)
				}
			}
		}
		if !found {
			t.Errorf("no pool %s in %+v", p.Name, s.Ceph.Pools)
		}
	}
	iso := e.Cluster().Proxmox.ISOStorage + ":iso/" + e.talosISO().file
	for _, h := range e.Layout().Hosts {
		if !slices.ContainsFunc(s.ISOs[h.Name], func(i simISO) bool { return i.VolID == iso }) {
			t.Errorf("%s has no %s: %+v", h.Name, iso, s.ISOs[h.Name])
		}
	}
	bits := e.Cluster().Network.Subnet.Bits()
	for _, vm := range e.Layout().VMs {
		i := slices.IndexFunc(s.VMs, func(v simVM) bool { return v.VMID == vm.VMID })
		if i < 0 {
			t.Errorf("no VM %d %s", vm.VMID, vm.Name)
			continue
		}
		v := s.VMs[i]
		if v.Name != vm.Name || v.Status != "running" || v.Node != vm.Host || v.IPCIDR != fmt.Sprintf("%s/%d", vm.Address, bits) ||
			!slices.Contains(v.Tags, e.VMTag()) || !slices.Contains(v.Tags, string(vm.Type)) || v.Cores != vm.Cores {
			t.Errorf("VM %d = %+v; want %s running on %s at %s/%d tagged %s", vm.VMID, v, vm.Name, vm.Host, vm.Address, bits, e.VMTag())
		}
	}
	for _, e := range w.World.Env.Log.Errors() {
		if e.API == "proxmox" || e.API == "ssh" {
			t.Errorf("the Proxmox simulator recorded an error: %+v", e)
		}
	}
}

// checkConverged runs up again as a new process would (zero mutating
// requests, nothing through the gate), then plan (nothing listed).
func checkConverged(t *testing.T, w *pveWorld) {
	t.Helper()
	checkConvergedAt(t, w, VMs)
}

// checkConvergedAt asserts that a second run until until changes nothing,
// and that plan then lists nothing.
func checkConvergedAt(t *testing.T, w *pveWorld, until string) {
	t.Helper()
	again := func(dryRun bool) func() *run.Report {
		return func() *run.Report {
			rep, err := w.run(w.fresh(), until, dryRun)
			requirePVEClean(t, rep, err)
			return rep
		}
	}
	w.Converged(t, "second up until "+until, again(false))
	w.Converged(t, "plan after "+until, again(true))
}

func TestProxmoxUpToVMs(t *testing.T) {
	for _, inv := range []string{"lab.yaml", "prod-3az.yaml", "elastic-metal.yaml"} {
		t.Run(inv, func(t *testing.T) {
			var opts []simOption
			if inv == "elastic-metal.yaml" {
				opts = append(opts, withPreload(preload(t, emStock)))
			}
			w := newPVEWorld(t, "../../inventories/"+inv, opts...)
			rep, err := w.run(w.Env, VMs, false)
			requirePVEClean(t, rep, err)
			checkProxmoxBuilt(t, w)
			if inv == "elastic-metal.yaml" {
				checkMetalHostsBySSH(t, w)
			}
			checkConverged(t, w)
			checkNoSecretsInEvents(t, w)
		})
	}
}

// checkMetalHostsBySSH asserts the Elastic Metal run reached its hosts'
// commands over SSH like a Dedibox one (the install gives root the
// project's keys), their host keys pinned, no node terminal opened, and
// warned about the cross-region round trip to Amsterdam.
func checkMetalHostsBySSH(t *testing.T, w *pveWorld) {
	t.Helper()
	for _, n := range w.World.Proxmox.State().Nodes {
		if !n.SSH {
			t.Errorf("%s has no SSH; the Elastic Metal install gives root the project's keys", n.Name)
		}
		if pin, _ := os.ReadFile(filepath.Join(w.Env.State.Path, "pins", n.Name+".ssh")); len(pin) == 0 {
			t.Errorf("no SSH host key of %s was pinned", n.Name)
		}
	}
	for route, r := range w.World.Env.Log.Snapshot().APIs["proxmox"].Routes {
		if strings.Contains(route, "termproxy") && r.Total > 0 {
			t.Errorf("a node terminal was opened (%s), though the hosts have SSH", route)
		}
	}
	warned := slices.ContainsFunc(w.warnings(), func(m string) bool { return strings.Contains(m, "metal-pve-3 (nl-ams-1)") })
	if !warned {
		t.Errorf("no warning about the round trip to Amsterdam: %v", w.warnings())
	}
}

// checkNoSecretsInEvents asserts no event (messages, errors, mutation
// details) carries a root password, token secret or the SSH key.
func checkNoSecretsInEvents(t *testing.T, w *pveWorld) {
	t.Helper()
	secrets := map[string]string{}
	for _, h := range w.Env.Layout().Hosts {
		for _, name := range []string{secretRootPassword(h.Name), secretPVEToken(h.Name)} {
			if v, err := w.Env.State.Secrets.Get(name); err == nil && len(v) > 0 {
				secrets["secret "+name] = string(v)
			}
		}
	}
	if len(secrets) == 0 {
		t.Fatal("no secrets to look for")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range w.events {
		text := fmt.Sprintf("%s %s %+v", e.Message, e.Error, e.Mutation)
		simtest.NoSecrets(t, fmt.Sprintf("event %s/%s %s", e.Stage, e.Target, e.Kind), text, secrets)
		if strings.Contains(text, "PRIVATE KEY") {
			t.Errorf("event %s/%s %s carries the SSH key", e.Stage, e.Target, e.Kind)
		}
		for _, ticket := range []string{"PVE:root@pam:", "PVEVNC:", "PVEVNC%3A", "PVEAuthCookie="} {
			if strings.Contains(text, ticket) {
				t.Errorf("event %s/%s %s carries a ticket: %s", e.Stage, e.Target, e.Kind, text)
			}
		}
	}
}

type (
	simISO = simpve.ISOState
	simVM  = simpve.VMState
)
