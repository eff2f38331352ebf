package stage

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/sim"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// scwFaults is the fault mix on the Scaleway API: 5xx, 429s with
// and without Retry-After, and hangs a per-attempt timeout must cut.
const scwFaults = "scaleway.5xx=0.05;scaleway.429=0.02;scaleway.429-bare=0.02;scaleway.hang=0.005;hang-for=1m"

// TestScalewayStagesCompleteUnderFaults: with the API failing now and then,
// one run orders, tags, installs and joins every host, retrying what is
// safe and looking before repeating what is not: one order per host, one
// SSH key, one private network.
func TestScalewayStagesCompleteUnderFaults(t *testing.T) {
	for _, inv := range []string{"lab.yaml", "prod-3az.yaml"} {
		t.Run(strings.TrimSuffix(inv, ".yaml"), func(t *testing.T) {
			loaded, err := inventory.Load("../../inventories/" + inv)
			if err != nil {
				t.Fatal(err)
			}
			hosts := len(loaded.Layout.Hosts)
			seed := seedFailingAnOrder(t, hosts)
			tw := newTestWorld(t, "../../inventories/"+inv, withFaults(scwFaults), withProfile(simcore.Realistic, 0.0005), withSeed(seed))
			rep, err := tw.runScw(tw.Env, Network, false)
			requireClean(t, rep, err)
			if s := tw.World.Env.Log.Snapshot().APIs[simcore.APIScaleway].Routes[routeDediboxOrder].Statuses; s["503"]+s["0"] == 0 {
				t.Errorf("no order got a 503 or hung (%v): the dangerous case was not met", s)
			}
			st := tw.World.Scaleway.State()
			if len(st.Services) != hosts {
				t.Errorf("%d Dedibox orders for %d hosts", len(st.Services), hosts)
			}
			if len(st.SSHKeys) != 1 {
				t.Errorf("%d IAM SSH keys, want 1", len(st.SSHKeys))
			}
			if len(st.RPNGroups) != 1 || len(st.RPNGroups[0].Members) != hosts {
				t.Errorf("RPN groups: %+v", st.RPNGroups)
			}
			assertOneServerPerHost(t, tw)
			assertBuilt(t, tw)
			if n := tw.Env.Retries.Counts()["scaleway"]; n == 0 {
				t.Error("no Scaleway request was retried: the faults did not bite")
			}
			injected := tw.World.Env.Faults.Injected()
			t.Logf("faults injected: %v; retries: %v; changes: %s", injected, tw.Env.Retries, mutatingStatuses(tw))
			assertNoMutations(t, tw, Network)
		})
	}
}

// lostAnswers takes the first n Scaleway requests matching route and never
// answers them: "taken" serves the request and resets the connection
// instead of answering (it took effect, and the client cannot know it);
// "lost" resets it before it reaches the API; "hang" holds it until the
// client's per-attempt timeout cuts it.
type lostAnswers struct {
	base  http.RoundTripper
	route *regexp.Regexp // "METHOD /path"
	mode  string
	n     atomic.Int32
}

func (l *lostAnswers) RoundTrip(req *http.Request) (*http.Response, error) {
	if !l.route.MatchString(req.Method+" "+req.URL.Path) || l.n.Add(-1) < 0 {
		return l.base.RoundTrip(req)
	}
	switch l.mode {
	case "taken":
		if resp, err := l.base.RoundTrip(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	case "hang":
		<-req.Context().Done()
		return nil, req.Context().Err()
	}
	return nil, syscall.ECONNRESET
}

// withLostAnswers makes env's Scaleway client go through a lostAnswers.
func withLostAnswers(t *testing.T, env *Env, route, mode string, n int) {
	t.Helper()
	l := &lostAnswers{base: env.Dialer.HTTPClient(nil, 0).Transport, route: regexp.MustCompile(route), mode: mode}
	l.n.Store(int32(n))
	env.scwOnce.Do(func() { env.scwSess, env.scwErr = env.newScw(l) })
	if env.scwErr != nil {
		t.Fatal(env.scwErr)
	}
}

// TestOrderWithoutAnswerIsNotPlacedTwice: the dangerous case. Orders are
// taken by Scaleway but their answers are lost; each host finds its order
// (a Dedibox order among the account's orders, an Elastic Metal one by its
// tags) instead of ordering again. Orders that never arrived, or hung until
// cut, are sent again.
func TestOrderWithoutAnswerIsNotPlacedTwice(t *testing.T) {
	const dediboxOrder, metalOrder = `^POST /dedibox/v1/zones/[^/]+/servers$`, `^POST /baremetal/v1/zones/[^/]+/servers$`
	cases := []struct {
		inventory, preload, route, mode string
		sends                           int // orders through the gate
	}{
		{"lab.yaml", "", dediboxOrder, "taken", 3},
		{"elastic-metal.yaml", emStock, metalOrder, "taken", 3},
		{"lab.yaml", "", dediboxOrder, "lost", 5},
		{"lab.yaml", "", dediboxOrder, "hang", 5},
	}
	for _, tc := range cases {
		t.Run(strings.TrimSuffix(tc.inventory, ".yaml")+"/"+tc.mode, func(t *testing.T) {
			opts := []simOption{withProfile(simcore.Realistic, 0.0005)}
			if tc.preload != "" {
				opts = append(opts, withPreload(preload(t, tc.preload)))
			}
			tw := newTestWorld(t, "../../inventories/"+tc.inventory, opts...)
			withLostAnswers(t, tw.Env, tc.route, tc.mode, 2)
			rep, err := tw.runScw(tw.Env, Servers, false)
			requireClean(t, rep, err)
			route := routeDediboxOrder
			if tc.route == metalOrder {
				route = routeMetalOrder
			}
			if n := served(tw, route); n != 3 {
				t.Errorf("the API received %d orders, want 3", n)
			}
			assertOneServerPerHost(t, tw)
			sends := 0
			for _, m := range rep.Mutations() {
				if m.Verb == "order" {
					sends++
				}
			}
			if sends != tc.sends {
				t.Errorf("%d orders went through the gate, want %d (one per send)", sends, tc.sends)
			}
			for _, h := range tw.Env.Layout().Hosts {
				if len(tw.Env.State.Journal.Unresolved(Servers, h.Name, actionOrder)) != 0 {
					t.Errorf("%s: an order intent is still unresolved", h.Name)
				}
			}
		})
	}
}

// TestOutOfStockAfterPreflightStopsOnlyItsHost: stock runs out between
// preflight and the order. That host fails at once with Scaleway's words
// (out of stock is not worth retrying); the other hosts are installed and
// join the private network.
func TestOutOfStockAfterPreflightStopsOnlyItsHost(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml")
	stages := scwStages(tw.Env)
	stages[1] = &stockRunsOut{servers: stages[1].(*servers), tw: tw, offer: "START-9-M", dc: "DC3"}
	rep, err := (&run.Runner{Stages: stages, Until: Network, Pools: Pools, Facts: &run.Facts{}}).Run(t.Context())
	if err == nil || !strings.Contains(err.Error(), "servers/lab-pve-2: failed to order server lab-pve-2 (START-9-M in DC3): Scaleway answered out_of_stock: resource dedibox_server is out of stock") {
		t.Fatalf("err = %v", err)
	}
	var failed []string
	for _, s := range rep.Failed() {
		failed = append(failed, s.Key.String()+" "+string(s.Status))
	}
	slices.Sort(failed)
	want := []string{"network/" + privateTarget("lab-pve-2") + " blocked", "os/lab-pve-2 blocked", "servers/lab-pve-2 failed"}
	if !slices.Equal(failed, want) {
		t.Fatalf("failed steps %q, want %q", failed, want)
	}
	if n := served(tw, routeDediboxOrder); n != 3 {
		t.Errorf("%d orders sent, want 3: an out-of-stock answer is final", n)
	}
	st := tw.World.Scaleway.State()
	if len(st.RPNGroups) != 1 || len(st.RPNGroups[0].Members) != 2 {
		t.Fatalf("RPN groups %+v, want the two delivered hosts", st.RPNGroups)
	}
	for _, m := range st.RPNGroups[0].Members {
		if m.Vlan != "120" {
			t.Errorf("member %+v not on VLAN 120", m)
		}
	}
	installed := 0
	for _, s := range ours(tw) {
		if s.InstallStatus == "installed" {
			installed++
		}
	}
	if installed != 2 {
		t.Errorf("%d hosts installed, want 2", installed)
	}
}

// stockRunsOut is the servers stage, with offer in dc running out of stock
// once preflight is done and before the first order.
type stockRunsOut struct {
	*servers
	tw        *testWorld
	offer, dc string
	once      sync.Once
}

func (s *stockRunsOut) Run(ctx context.Context, st *run.Step) error {
	s.once.Do(func() {
		if err := s.tw.World.Scaleway.SetStock(s.offer, s.dc, "empty"); err != nil {
			s.tw.t.Error(err)
		}
	})
	return s.servers.Run(ctx, st)
}

// mutatingStatuses renders the statuses the API answered each changing
// route with ("0" is a hang the client cut), for the test log.
func mutatingStatuses(tw *testWorld) string {
	var out []string
	for route, rc := range tw.World.Env.Log.Snapshot().APIs[simcore.APIScaleway].Routes {
		if rc.Mutating > 0 {
			out = append(out, fmt.Sprintf("%s %v", route, rc.Statuses))
		}
	}
	slices.Sort(out)
	return strings.Join(out, "; ")
}

func withSeed(seed int64) simOption { return func(o *sim.Options) { o.Seed = seed } }

// seedFailingAnOrder finds the first seed whose fault model answers one of
// the first n Dedibox orders with a 503 or a hang: the dangerous case, an
// order that may have been taken without the client knowing.
func seedFailingAnOrder(t *testing.T, n int) int64 {
	t.Helper()
	spec, err := simcore.ParseFaults(scwFaults)
	if err != nil {
		t.Fatal(err)
	}
	for seed := int64(1); seed < 1000; seed++ {
		f := simcore.NewFaults(seed)
		f.Set(spec)
		for i := 0; i < n; i++ {
			if k := f.Decide(simcore.APIScaleway, routeDediboxOrder, false).Kind; k == simcore.Fault5xx || k == simcore.FaultHang {
				return seed
			}
		}
	}
	t.Fatal("no seed fails an order")
	return 0
}
