package stage

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/proxmox"
	"github.com/tripod-dev/tripod/internal/run"
	simpve "github.com/tripod-dev/tripod/internal/sim/proxmox"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// The Proxmox stages complete through 5xx, 429s and hangs of the Proxmox
// API (on Elastic Metal, the node terminal's too); each non-idempotent
// create takes effect once (a repeat of a POST that had landed would have
// been refused with PVE's "already exists"). Lost answers: below.
func TestProxmoxStagesUnderFaults(t *testing.T) {
	for _, inv := range []string{"lab.yaml", "elastic-metal.yaml"} {
		t.Run(inv, func(t *testing.T) {
			opts := []simOption{withProfile(simcore.Realistic, 0.0005),
				withFaults("proxmox.5xx=0.05;proxmox.429=0.02;proxmox.429-bare=0.02;proxmox.hang=0.005;hang-for=1m")}
			if inv == "elastic-metal.yaml" {
				opts = append(opts, withPreload(preload(t, emStock)))
			}
			w := newPVEWorld(t, "../../inventories/"+inv, opts...)
			rep, err := w.run(w.Env, VMs, false)
			requirePVEClean(t, rep, err)
			checkProxmoxBuilt(t, w)
			if n := w.Env.Retries.Counts()["proxmox"]; n == 0 {
				t.Error("no Proxmox retry was counted")
			}
			injected := w.World.Env.Faults.Injected()
			for _, kind := range []string{"5xx", "429", "429-bare", "hang"} {
				if injected["proxmox "+kind] == 0 {
					t.Errorf("no proxmox %s was injected: %v", kind, injected)
				}
			}
			checkOnce(t, w)
			checkConverged(t, w)
			checkNoSecretsInEvents(t, w)
		})
	}
}

// checkOnce asserts each create was served once per thing it made, and no
// POST was refused (as a repeat of one that landed would be).
func checkOnce(t *testing.T, w *pveWorld) {
	t.Helper()
	l := w.Env.Layout()
	osds := 0
	for _, h := range l.Hosts {
		if h.HasRole(inventory.RoleCephOSD) {
			osds += len(h.DataDisks)
		}
	}
	routes := w.World.Env.Log.Snapshot().APIs["proxmox"].Routes
	for route, want := range map[string]int{
		"POST /api2/json/nodes/{node}/qemu":                     len(l.VMs),
		"POST /api2/json/nodes/{node}/qemu/{vmid}/status/start": len(l.VMs),
		"POST /api2/json/cluster/config":                        1,
		"POST /api2/json/cluster/config/join":                   len(l.Hosts) - 1,
		"POST /api2/json/nodes/{node}/ceph/osd":                 osds,
	} {
		if rc := routes[route]; rc == nil || rc.Statuses["200"] != want {
			t.Errorf("%s answered 200 %v times, want %d", route, rc, want)
		}
	}
	for route, rc := range routes { // a repeated DELETE meets "no such" by design
		if strings.HasPrefix(route, "POST ") && rc.Mutating > 0 && rc.Statuses["500"] > 0 {
			t.Errorf("%s was refused %d times (a repeat of what had landed?)", route, rc.Statuses["500"])
		}
	}
}

// A create whose answer was lost after it took effect is not sent again;
// one that did not take effect is; a refusal is not observed, only
// reported.
func TestLostAnswerIsObservedBeforeRepeat(t *testing.T) {
	w := newPVEWorld(t, "../../inventories/lab.yaml")
	lost := &proxmox.APIError{Node: "pve", Method: "POST", Path: "/x", Status: 503}
	for _, tc := range []struct {
		name        string
		errs        []error // what each send answers
		landedAfter int     // landed reports true once this many sends went out
		wantSends   int
		wantErr     bool
	}{
		{"landed", []error{lost}, 1, 1, false},
		{"not landed", []error{lost, nil}, 99, 2, false},
		{"cut, landed", []error{&proxmox.APIError{Err: context.DeadlineExceeded}}, 1, 1, false},
		{"refused", []error{&proxmox.APIError{Status: 400, Message: "vmid: invalid format"}}, 0, 1, true},
		{"forbidden", []error{&proxmox.APIError{Status: 403, Message: "Permission check failed (/vms/1001, VM.Allocate)"}}, 0, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sends, looks := 0, 0
			req := proxmox.Request{Method: "POST", Path: "/x",
				Call: func(context.Context) (any, error) {
					sends++
					return nil, tc.errs[min(sends, len(tc.errs))-1]
				},
				Landed: func(context.Context) (bool, error) { looks++; return sends >= tc.landedAfter, nil },
			}
			env := w.fresh()
			_, err := w.withStep(env, false, func(ctx context.Context, st *run.Step) error {
				_, err := env.node(st, "pve").SendOnce(ctx, req, st.Progress)
				return err
			})
			if sends != tc.wantSends || (err != nil) != tc.wantErr {
				t.Errorf("sent %d times (want %d), looked %d times, err %v", sends, tc.wantSends, looks, err)
			}
			if tc.wantErr && (looks != 0 || !strings.Contains(err.Error(), tc.errs[0].(*proxmox.APIError).Message)) {
				t.Errorf("a refusal was looked after or lost its message: %v", err)
			}
		})
	}
}

// A start that fails once in its task is tried again; a VM that cannot
// start fails alone, with PVE's reason, while another VM is recreated.
func TestVMThatCannotStartFailsAlone(t *testing.T) {
	w := newPVEWorld(t, "../../inventories/lab.yaml", withProfile(simcore.Instant, 0.01), withFaults("vm-start-fail=lab-par-dc5-w-1"))
	rep, err := w.run(w.Env, VMs, false)
	requirePVEClean(t, rep, err)
	checkProxmoxBuilt(t, w)
	if n := w.World.Env.Faults.Injected()["oneshot vm-start-fail:lab-par-dc5-w-1"]; n != 1 {
		t.Fatalf("the one-shot start failure fired %d times", n)
	}

	broken, gone := w.Env.vmPlan("lab-par-dc3-w-1"), w.Env.vmPlan("lab-par-dc5-w-1")
	ctx := context.Background()
	stop := func(vm inventory.VMPlan) *proxmox.Client {
		c := w.apiClient(vm.Host)
		if err := c.RunTask(ctx, fmt.Sprintf("/nodes/%s/qemu/%d/status/stop", vm.Host, vm.VMID), nil, proxmox.TaskWait{}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := stop(broken)
	path := fmt.Sprintf("/nodes/%s/qemu/%d/config", broken.Host, broken.VMID)
	conf, err := c.GetMap(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	net0 := strings.Replace(str(conf["net0"]), "bridge="+w.Env.Cluster().Network.Bridge, "bridge=vmbr9", 1)
	if _, err := c.Put(ctx, path, map[string]any{"net0": net0}); err != nil {
		t.Fatal(err)
	}
	c = stop(gone)
	if err := c.Delete(ctx, fmt.Sprintf("/nodes/%s/qemu/%d", gone.Host, gone.VMID)); err != nil {
		t.Fatal(err)
	}
	if err := w.World.Proxmox.AwaitState(ctx, func(s simpve.State) bool {
		return !slices.ContainsFunc(s.VMs, func(v simVM) bool { return v.VMID == gone.VMID })
	}); err != nil {
		t.Fatal(err)
	}

	rep, _ = w.run(w.fresh(), VMs, false)
	var failed []string
	for _, s := range rep.Failed() {
		failed = append(failed, s.Key.String())
	}
	if len(failed) != 1 || failed[0] != "vms/lab-par-dc3-w-1" {
		t.Fatalf("failed steps %v; want only vms/lab-par-dc3-w-1", failed)
	}
	if msg := failure(rep, run.On(VMs, "lab-par-dc3-w-1")); !strings.Contains(msg, "bridge 'vmbr9' does not exist") {
		t.Errorf("the failure does not carry PVE's reason: %s", msg)
	}
	s := w.World.Proxmox.State()
	if i := slices.IndexFunc(s.VMs, func(v simVM) bool { return v.VMID == gone.VMID }); i < 0 || s.VMs[i].Status != "running" {
		t.Errorf("lab-par-dc5-w-1 was not recreated and started: %+v", s.VMs)
	}
}

// losingDialer is the one dialer, except that the first answer to each
// mutating request path is lost after the host served it, as a hang cut
// by its attempt timeout looks to the client.
type losingDialer struct {
	proxmox.Dialer
	mu   sync.Mutex
	lost map[string]int
}

func (d *losingDialer) HTTPClient(tc *tls.Config, timeout time.Duration) *http.Client {
	hc := d.Dialer.HTTPClient(tc, timeout)
	hc.Transport = losingTransport{base: hc.Transport, d: d}
	return hc
}

type losingTransport struct {
	base http.RoundTripper
	d    *losingDialer
}

func (t losingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	p := req.URL.Path
	if err != nil || req.Method == http.MethodGet || strings.HasSuffix(p, "/access/ticket") || strings.HasSuffix(p, "/termproxy") {
		return resp, err
	}
	t.d.mu.Lock()
	defer t.d.mu.Unlock()
	if t.d.lost[req.Method+" "+p]++; t.d.lost[req.Method+" "+p] > 1 {
		return resp, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return nil, fmt.Errorf("%s %s: no answer: %w", req.Method, p, context.DeadlineExceeded)
}

// Every create, join, start and download whose answer is lost after it was
// carried out is found (its task, or what it made) and not sent again.
func TestLostAnswersAreFoundNotRepeated(t *testing.T) {
	w := newPVEWorld(t, "../../inventories/lab.yaml", withProfile(simcore.Realistic, 0.0005))
	d := &losingDialer{Dialer: w.Env.Dialer, lost: map[string]int{}}
	facts := &run.Facts{}
	w.Env.pve.get(func() (*proxmox.Fleet, error) { return w.Env.newFleet(d, false, facts), nil })
	rep, err := (&run.Runner{Stages: List(w.Env), Until: VMs, Pools: Pools, Facts: facts}).Run(context.Background())
	requirePVEClean(t, rep, err)
	checkProxmoxBuilt(t, w)
	checkOnce(t, w)
	for _, route := range []string{"/cluster/config", "/cluster/config/join", "/ceph/osd", "/qemu", "/status/start", "/download-url", "/token/tripod"} {
		if !slices.ContainsFunc(slices.Collect(maps.Keys(d.lost)), func(k string) bool { return strings.HasSuffix(k, route) }) {
			t.Errorf("no answer to a %s request was lost: %v", route, d.lost)
		}
	}
	checkConverged(t, w)

	// Teardown too: the stop's and the delete's answers are lost.
	vm := w.Env.vmPlan("lab-par-dc2-w-1")
	_, err = w.withStep(w.Env, false, func(ctx context.Context, st *run.Step) error {
		return w.Env.pveDestroyVM(ctx, st, vmSeen{VMID: vm.VMID, Name: vm.Name, Node: vm.Host, Status: "running", Tags: []string{w.Env.VMTag()}})
	})
	requirePVEClean(t, nil, err)
	if slices.ContainsFunc(w.World.Proxmox.State().VMs, func(v simVM) bool { return v.VMID == vm.VMID }) {
		t.Errorf("VM %d is still there", vm.VMID)
	}
}
