package stage

import (
	"maps"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
	"github.com/tripod-dev/tripod/internal/simtest"
)

// TestScalewayPlanIsExact: for every shipped inventory shape, from nothing
// and after a partial run, the Scaleway stages' plan lists exactly the
// requests the following run sends, request by request, as the simulator's
// log names them.
func TestScalewayPlanIsExact(t *testing.T) {
	cases := []struct{ inventory, preload string }{
		{"lab.yaml", ""},
		{"elastic-metal.yaml", emStock},
		{"prod-3az.yaml", ""},
		{"adopt.yaml", adoptPreload},
	}
	for _, tc := range cases {
		for _, until := range []string{"", Servers, OS} {
			name := strings.TrimSuffix(tc.inventory, ".yaml") + "/after-" + until
			if until == "" {
				name = strings.TrimSuffix(tc.inventory, ".yaml") + "/fresh"
			}
			t.Run(name, func(t *testing.T) {
				var opts []simOption
				if tc.preload != "" {
					opts = append(opts, withPreload(preload(t, tc.preload)))
				}
				tw := newTestWorld(t, "../../inventories/"+tc.inventory, opts...)
				if until != "" {
					rep, err := tw.runScw(tw.Env, until, false)
					requireClean(t, rep, err)
				}
				rep, err := tw.runScw(tw.fresh(), Network, true)
				requireClean(t, rep, err)
				planned := map[string]int{}
				for _, m := range rep.Mutations() {
					planned[m.Request]++
				}
				before := scwMutating(tw)
				rep, err = tw.runScw(tw.fresh(), Network, false)
				requireClean(t, rep, err)
				sent := scwMutating(tw)
				for r, n := range before {
					if sent[r] -= n; sent[r] == 0 {
						delete(sent, r)
					}
				}
				if !maps.Equal(planned, sent) {
					t.Errorf("plan and run differ (request: planned/sent):\n%s", simtest.CountDiff(planned, sent))
				}
			})
		}
	}
}

// scwMutating counts the mutating Scaleway requests served, per route.
func scwMutating(tw *testWorld) map[string]int {
	out := map[string]int{}
	if a := tw.World.Env.Log.Snapshot().APIs[simcore.APIScaleway]; a != nil {
		for route, rc := range a.Routes {
			if rc.Mutating > 0 {
				out[route] = rc.Mutating
			}
		}
	}
	return out
}
