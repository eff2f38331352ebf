package stage

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// apiTimeline records, per request through a proxy, when it was sent and
// when its answer came back: how the race window is measured.
type apiTimeline struct {
	mu     sync.Mutex
	events []apiEvent
}

type apiEvent struct {
	method, path string
	sent, done   time.Time
}

// proxied points env's Scaleway client at a recording proxy of the
// simulator.
func proxied(t *testing.T, env *Env) *apiTimeline {
	t.Helper()
	target, err := url.Parse(*env.Scaleway.APIURL)
	if err != nil {
		t.Fatal(err)
	}
	tl := &apiTimeline{}
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ev := apiEvent{method: r.Method, path: r.URL.Path, sent: time.Now()}
		rp.ServeHTTP(w, r)
		ev.done = time.Now()
		tl.mu.Lock()
		tl.events = append(tl.events, ev)
		tl.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	p := *env.Scaleway
	p.APIURL = &srv.URL
	env.Scaleway = &p
	return tl
}

// window measures how long another run's check can miss this run's
// orders. checkToOrder is, over the orders, the longest time from the
// answer of the last list (servers or Dedibox orders) before an order was
// sent to that order's answer, from which on it is visible: an Elastic Metal
// order by its tags, a Dedibox order in the list of orders still being
// delivered. untagged is, for Dedibox, the longest time from the last read
// of an order before its server was tagged to that tag's answer: a
// delivered server is no longer among the orders being delivered, and not
// tagged yet, so no check sees it.
func (tl *apiTimeline) window() (checkToOrder, untagged time.Duration, orders int) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	ev := slices.Clone(tl.events)
	slices.SortFunc(ev, func(a, b apiEvent) int { return a.sent.Compare(b.sent) })
	isList := func(e apiEvent) bool {
		return e.method == "GET" && (strings.HasSuffix(e.path, "/servers") || strings.HasSuffix(e.path, "/services"))
	}
	// GetService is a PATCH with {} in the SDK.
	isServiceRead := func(e apiEvent) bool { return e.method == "PATCH" && strings.Contains(e.path, "/services/") }
	for i, e := range ev {
		switch {
		case e.method == "POST" && strings.HasSuffix(e.path, "/servers"):
			var check time.Time
			for _, p := range ev[:i] {
				if isList(p) && p.done.Before(e.sent) && p.done.After(check) {
					check = p.done
				}
			}
			orders++
			checkToOrder = max(checkToOrder, e.done.Sub(check))
		case e.method == "POST" && strings.HasSuffix(e.path, "/tags"):
			var read time.Time
			for _, p := range ev[:i] {
				if isServiceRead(p) && p.done.Before(e.sent) && p.done.After(read) {
					read = p.done
				}
			}
			if !read.IsZero() {
				untagged = max(untagged, e.done.Sub(read))
			}
		}
	}
	return checkToOrder, untagged, orders
}

// TestTwoStateDirectoriesAtOnce starts two state directories on one
// inventory and simulator together. Both may look before either has
// ordered, and then both order: that window stays open until state is
// shared. What must hold: they never both carry on. Either at most one set
// of servers is ordered, or at least one run refuses with the sentence,
// and whoever refuses has not taken the other's servers.
func TestTwoStateDirectoriesAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name, inventory, preload string
		scale                    float64 // a realistic profile at this time scale; 0: instant
	}{
		{"lab", "lab.yaml", "", 0}, {"elastic-metal", "elastic-metal.yaml", emStock, 0},
		{"lab-realistic", "lab.yaml", "", 0.002}, {"elastic-metal-realistic", "elastic-metal.yaml", emStock, 0.002},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var opts []simOption
			if tc.preload != "" {
				opts = append(opts, withPreload(preload(t, tc.preload)))
			}
			if tc.scale != 0 {
				opts = append(opts, withProfile(simcore.Realistic, tc.scale))
			}
			tw := newTestWorld(t, "../../inventories/"+tc.inventory, opts...)
			envs := []*Env{tw.fresh(), tw.otherStateDir()}
			tls := []*apiTimeline{proxied(t, envs[0]), proxied(t, envs[1])}
			reps := make([]*run.Report, 2)
			errs := make([]error, 2)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range envs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					reps[i], errs[i] = tw.runScw(envs[i], Servers, false)
				}()
			}
			close(start)
			wg.Wait()
			hosts := len(tw.Env.Layout().Hosts)
			orders := served(tw, orderRoute(tw.Env))
			refused := 0
			for i := range envs {
				_, m := managedElsewhere(reps[i])
				switch {
				case m != nil:
					refused++
					checkRefusal(t, m, tw.Env.Cluster().Name, envs[1-i].State.ID)
				case unknownOrders(reps[i]) != nil:
					refused++
				case errs[i] != nil:
					t.Errorf("run %d failed otherwise: %v", i, errs[i])
				}
			}
			for i, tl := range tls {
				w, u, n := tl.window()
				t.Logf("run %d: %d orders; longest check-to-order window %v; longest delivered-untagged gap %v", i, n, w, u)
			}
			t.Logf("%d orders for %d hosts; %d run(s) refused", orders, hosts, refused)
			if orders > hosts && refused == 0 {
				t.Fatalf("%d servers were ordered for %d hosts and neither run refused", orders, hosts)
			}
			if orders <= hosts && refused == 0 {
				t.Fatalf("two state directories both carried on with %d orders", orders)
			}
			for _, s := range ours(tw) {
				var ids []string
				for _, tag := range s.Tags {
					if id, ok := strings.CutPrefix(tag, stateTagPrefix); ok {
						ids = append(ids, id)
					}
				}
				if len(ids) != 1 {
					t.Errorf("server %s carries state IDs %v, want exactly one", s.ID, ids)
				}
			}
		})
	}
}

// TestInterruptedDediboxOrdersAreNotOrderedAgain: a run from one state
// directory is stopped while its Dedibox orders are being delivered (a CI
// job cancelled after ordering). Its orders carry no tags yet, so no server
// shows whose they are; a second state directory refuses all the same, and
// orders nothing.
func TestInterruptedDediboxOrdersAreNotOrderedAgain(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml", withProfile(simcore.Realistic, 0.01))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r := &run.Runner{Stages: scwStages(tw.Env), Until: Servers, Pools: Pools, Facts: &run.Facts{}}
		r.Run(ctx)
	}()
	hosts := len(tw.Env.Layout().Hosts)
	for deadline := time.Now().Add(30 * time.Second); len(tw.World.Scaleway.State().Services) < hosts; {
		if time.Now().After(deadline) {
			t.Fatalf("%d orders after 30s, want %d", len(tw.World.Scaleway.State().Services), hosts)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if n := len(ours(tw)); n != 0 {
		t.Skipf("%d servers were delivered and tagged before the run stopped: not the case this test is for", n)
	}
	before := tw.mutations()
	rep, err := tw.runScw(tw.otherStateDir(), Servers, false)
	u := unknownOrders(rep)
	if err == nil || u == nil {
		t.Fatalf("second state directory during delivery: %v, want the refusal", err)
	}
	if len(u.Orders) != hosts {
		t.Errorf("refusal names orders %v, want the %d being delivered", u.Orders, hosts)
	}
	if n := tw.mutations() - before; n != 0 {
		t.Errorf("the second state directory sent %d mutating requests: %v", n, tw.World.Env.Log.Snapshot().MutatingRoutes())
	}
	// The first one, run again, takes its own orders: they are in its journal.
	rep, err = tw.runScw(tw.fresh(), Servers, false)
	requireClean(t, rep, err)
	if n := served(tw, routeDediboxOrder); n != hosts {
		t.Errorf("%d orders were served, want %d", n, hosts)
	}
}
