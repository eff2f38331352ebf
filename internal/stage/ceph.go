package stage

import (
	"context"
	"fmt"
	"strings"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
)

type ceph struct{ env *Env }

func (s *ceph) Name() string { return Ceph }

// Run does one Ceph target: packages on a host, the cluster's
// configuration, a monitor (and its manager), a host's OSDs, the CRUSH
// layout, a pool, or the wait for HEALTH_OK.
func (s *ceph) Run(ctx context.Context, st *run.Step) error {
	e := s.env
	switch id := st.Key.Target; id {
	case cephInit:
		return e.cephInit(ctx, st)
	case cephCRUSH:
		return e.cephCRUSH(ctx, st)
	case cephHealth:
		return e.cephHealthy(ctx, st)
	default:
		kind, arg, _ := strings.Cut(id, "/")
		switch kind {
		case "install":
			return e.cephInstall(ctx, st, arg)
		case "mon":
			return e.cephMon(ctx, st, arg)
		case "osd":
			return e.cephOSDs(ctx, st, arg)
		case "pool":
			return e.cephPool(ctx, st, arg)
		}
		return fmt.Errorf("unknown Ceph target %q", id)
	}
}

// Plan lists, target by target as Run does them, what a Ceph cluster built
// from nothing gets, while the hosts it needs are only planned.
func (s *ceph) Plan(ctx context.Context, st *run.Step) error {
	e := s.env
	switch id := st.Key.Target; id {
	case cephInit:
		return planOnly(ctx, st, e.cephInitMutation())
	case cephCRUSH:
		return e.editCRUSH(ctx, st, e.freshCRUSH())
	case cephHealth:
		st.Skip("would wait for Ceph HEALTH_OK")
		return nil
	default:
		kind, arg, _ := strings.Cut(id, "/")
		switch kind {
		case "install":
			m := cephInstallMutation(arg)
			m.Detail = "`" + cephInstallCmd + "`"
			return planOnly(ctx, st, m)
		case "mon":
			mon, mgr := e.cephMonMutations(arg)
			if arg == e.cephHost() {
				return planOnly(ctx, st, mon) // the first monitor brings its manager
			}
			return planOnly(ctx, st, mon, mgr)
		case "osd":
			h, _ := e.Layout().Host(arg)
			return planOnly(ctx, st, osdMutations(arg, h.DataDisks)...)
		case "pool":
			return planOnly(ctx, st, e.cephPoolMutation(arg))
		}
		return fmt.Errorf("unknown Ceph target %q", id)
	}
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
// lives in /etc/pve); init on the first host; a monitor per AZ, the first
// one before the others (it founds the monitor map, the others join its
// quorum); OSDs once monitors exist; CRUSH buckets and rule once OSDs exist
// (a host's bucket appears with its first OSD); pools; health.
func (s *ceph) Targets() []run.Target {
	e := s.env
	first := e.firstHost().Name
	var out []run.Target
	for _, h := range e.Layout().Hosts {
		out = append(out, run.Target{ID: cephInstallID(h.Name), Needs: []run.Key{run.On(PVECluster, h.Name), run.On(Network, h.Name)}, Placement: h.AZ})
	}
	out = append(out, run.Target{ID: cephInit, Needs: []run.Key{run.All(PVECluster), run.On(Ceph, cephInstallID(first))}})
	var mons []run.Key
	for i, h := range e.monHosts() {
		needs := []run.Key{run.On(Ceph, cephInit), run.On(Ceph, cephInstallID(h.Name))}
		if i > 0 {
			needs = append(needs, mons[0])
		}
		out = append(out, run.Target{ID: cephMonID(h.Name), Needs: needs, Placement: h.AZ})
		mons = append(mons, run.On(Ceph, cephMonID(h.Name)))
	}
	var osds []run.Key
	for _, h := range e.Layout().Hosts {
		if !h.HasRole(inventory.RoleCephOSD) {
			continue
		}
		needs := append([]run.Key{run.On(Ceph, cephInstallID(h.Name))}, mons...)
		out = append(out, run.Target{ID: cephOSDID(h.Name), Needs: needs, Pools: []string{"ceph-osd:" + h.Name}, Placement: h.AZ})
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

// cephHost is where the cluster-wide Ceph calls and commands go: the first
// monitor's host (it has the packages, the config and a monitor).
func (e *Env) cephHost() string {
	if m := e.monHosts(); len(m) > 0 {
		return m[0].Name
	}
	return e.firstHost().Name
}
