package stage

import (
	"context"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
)

type ceph struct{ env *Env }

func (s *ceph) Name() string { return Ceph }

func (s *ceph) Run(ctx context.Context, st *run.Step) error {
	return notImplemented(Ceph)
}

// Ceph target IDs.
const (
	cephInit   = "init"
	cephCRUSH  = "crush"
	cephHealth = "health"
)

func cephInstallID(host string) string { return "install/" + host }
func cephMonID(host string) string     { return "mon/" + host }
func cephOSDID(host string) string     { return "osd/" + host }
func cephPoolID(pool string) string    { return "pool/" + pool }

// monHosts is the first ceph-mon host of each AZ: one monitor per AZ keeps
// quorum through the loss of any one.
func (e *Env) monHosts() []inventory.HostPlan {
	var out []inventory.HostPlan
	seen := map[int]bool{}
	for _, h := range e.Layout().Hosts {
		if h.HasRole(inventory.RoleCephMon) && !seen[h.AZIndex] {
			seen[h.AZIndex] = true
			out = append(out, h)
		}
	}
	return out
}

// Targets: packages on every host once it has joined the cluster (ceph.conf
// lives in /etc/pve); init on the first host; a monitor per AZ; OSDs once
// monitors exist; CRUSH buckets and rule once OSDs exist; pools; health.
func (s *ceph) Targets() []run.Target {
	e := s.env
	first := e.firstHost().Name
	var out []run.Target
	for _, h := range e.Layout().Hosts {
		out = append(out, run.Target{ID: cephInstallID(h.Name), Needs: []run.Key{run.On(PVECluster, h.Name), run.On(Network, h.Name)}})
	}
	out = append(out, run.Target{ID: cephInit, Needs: []run.Key{run.All(PVECluster), run.On(Ceph, cephInstallID(first))}})
	var mons []run.Key
	for _, h := range e.monHosts() {
		out = append(out, run.Target{ID: cephMonID(h.Name), Needs: []run.Key{run.On(Ceph, cephInit), run.On(Ceph, cephInstallID(h.Name))}})
		mons = append(mons, run.On(Ceph, cephMonID(h.Name)))
	}
	var osds []run.Key
	for _, h := range e.Layout().Hosts {
		if !h.HasRole(inventory.RoleCephOSD) {
			continue
		}
		needs := append([]run.Key{run.On(Ceph, cephInstallID(h.Name))}, mons...)
		out = append(out, run.Target{ID: cephOSDID(h.Name), Needs: needs, Pools: []string{"ceph-osd:" + h.Name}})
		osds = append(osds, run.On(Ceph, cephOSDID(h.Name)))
	}
	out = append(out, run.Target{ID: cephCRUSH, Needs: osds})
	var pools []run.Key
	for _, p := range e.Cluster().Ceph.Pools {
		out = append(out, run.Target{ID: cephPoolID(p.Name), Needs: []run.Key{run.On(Ceph, cephCRUSH)}})
		pools = append(pools, run.On(Ceph, cephPoolID(p.Name)))
	}
	out = append(out, run.Target{ID: cephHealth, Needs: pools})
	return out
}
