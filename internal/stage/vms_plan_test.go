package stage

import (
	"cmp"
	"regexp"
	"testing"

	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
	"github.com/tripod-dev/tripod/internal/simtest"
)

var paramName = regexp.MustCompile(`\{[^}]*\}`)

// pveRequests counts a report's planned Proxmox and SSH requests by
// template, parameter names forgotten.
func pveRequests(t *testing.T, rep *run.Report) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, m := range rep.Mutations() {
		if m.API != "proxmox" && m.API != "ssh" {
			continue
		}
		if m.Request == "" {
			t.Errorf("mutation %q names no request", m)
		}
		out[m.API+" "+paramName.ReplaceAllString(m.Request, "{}")]++
	}
	return out
}

// On every shipped shape, from nothing and after the network, plan lists
// exactly the Proxmox and SSH requests up then sends, request by request.
func TestProxmoxPlanIsExact(t *testing.T) {
	for _, inv := range []string{"lab.yaml", "prod-3az.yaml", "elastic-metal.yaml"} {
		for _, until := range []string{"", Network, Ceph} {
			t.Run(inv+"/after-"+cmp.Or(until, "nothing"), func(t *testing.T) {
				var opts []simOption
				if inv == "elastic-metal.yaml" {
					opts = append(opts, withPreload(preload(t, emStock)))
				}
				w := newPVEWorld(t, "../../inventories/"+inv, opts...)
				if until != "" {
					rep, err := w.run(w.Env, until, false)
					requirePVEClean(t, rep, err)
				}
				rep, err := w.run(w.fresh(), VMs, true)
				requirePVEClean(t, rep, err)
				planned := pveRequests(t, rep)
				before := w.World.Env.Log.Snapshot()
				rep, err = w.run(w.fresh(), VMs, false)
				requirePVEClean(t, rep, err)
				after := w.World.Env.Log.Snapshot()
				sent := map[string]int{}
				for _, api := range []simcore.API{simcore.APIProxmox, simcore.APISSH} {
					for route, rc := range after.APIs[api].Routes {
						n := rc.Mutating
						if b := before.APIs[api]; b != nil && b.Routes[route] != nil {
							n -= b.Routes[route].Mutating
						}
						if n > 0 {
							sent[string(api)+" "+paramName.ReplaceAllString(route, "{}")] += n
						}
					}
				}
				if diff := simtest.CountDiff(planned, sent); diff != "" {
					t.Errorf("plan and up differ (planned/sent):\n%s", diff)
				}
			})
		}
	}
}
