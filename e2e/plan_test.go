package e2e

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/tripod-dev/tripod/internal/simtest"
)

// TestPlanIsExact: for a fresh inventory, after a partial run and after a
// full run, plan lists exactly the mutating requests the following up
// sends, request by request, as the simulator's log counts them.
func TestPlanIsExact(t *testing.T) {
	for _, sc := range []struct {
		name  string
		until string // "" plans from nothing; else up --until this first
	}{{"fresh", ""}, {"after-network", "network"}, {"after-vms", "vms"}} {
		t.Run(sc.name, func(t *testing.T) {
			sim := startSim(t, "--profile", "realistic", "--time-scale", "0.0005", "--seed", "5")
			dir := t.TempDir()
			inv := "../inventories/lab.yaml"
			if sc.until != "" {
				if r := tripod(t, sim, "up", "-i", inv, "--state-dir", dir, "--until", sc.until); r.code != 0 {
					t.Fatalf("up --until %s: exit %d\n%s", sc.until, r.code, r.stderr)
				}
			}
			planned := planRequests(t, sim, inv, dir, 2)
			before := sim.requests()
			if r := tripod(t, sim, "up", "-i", inv, "--state-dir", dir); r.code != 0 {
				t.Fatalf("up: exit %d\n%s", r.code, r.stderr)
			}
			sent := sentRequests(before, sim.requests())
			if diff := simtest.CountDiff(planned, sent); diff != "" {
				t.Errorf("plan and up differ (api request: planned/sent):\n%s", diff)
			}
			if after := planRequests(t, sim, inv, dir, 0); len(after) != 0 {
				t.Errorf("plan after a full run lists %v", after)
			}
		})
	}
}

// planRequests runs plan -o json --detailed-exitcode, checks its exit code,
// and counts the planned requests per "api request".
func planRequests(t *testing.T, sim *simProc, inv, dir string, wantCode int) map[string]int {
	t.Helper()
	r := tripod(t, sim, "plan", "-i", inv, "--state-dir", dir, "-o", "json", "--detailed-exitcode")
	if r.code != wantCode {
		t.Fatalf("plan: exit %d, want %d\n%s", r.code, wantCode, r.stderr)
	}
	var steps []struct {
		Mutations []struct {
			API     string `json:"api"`
			Request string `json:"request"`
		} `json:"mutations"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &steps); err != nil {
		t.Fatalf("plan output: %v\n%s", err, r.stdout)
	}
	out := map[string]int{}
	for _, s := range steps {
		for _, m := range s.Mutations {
			out[m.API+" "+normalize(m.Request)]++
		}
	}
	return out
}

// sentRequests counts the mutating requests served between two snapshots.
func sentRequests(before, after requests) map[string]int {
	out := map[string]int{}
	for api, a := range after.APIs {
		for route, rc := range a.Routes {
			n := rc.Mutating - before.APIs[api].Routes[route].Mutating
			if n > 0 {
				out[api+" "+normalize(route)] += n
			}
		}
	}
	return out
}

var paramRE = regexp.MustCompile(`\{[^}]*\}`)

// normalize forgets parameter names: the tool and the simulator each name
// them as their own source does.
func normalize(r string) string {
	if r == "" {
		return "(request not named)"
	}
	return paramRE.ReplaceAllString(r, "{}")
}
