package stage

import (
	"context"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/proxmox"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// The Proxmox stages complete through 5xx, 429s and hangs of the Proxmox
// API; each non-idempotent create takes effect once (a repeat of a POST
// that had landed would have been refused with PVE's "already exists").
func TestProxmoxStagesUnderFaults(t *testing.T) {
	w := newPVEWorld(t, "../../inventories/lab.yaml", withProfile(simcore.Realistic, 0.0005),
		withFaults("proxmox.5xx=0.05;proxmox.429=0.02;proxmox.429-bare=0.02;proxmox.hang=0.005;hang-for=1m"))
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
	routes := w.World.Env.Log.Snapshot().APIs["proxmox"].Routes
	vms := len(w.Env.Layout().VMs)
	for route, want := range map[string]int{
		"POST /api2/json/nodes/{node}/qemu":                     vms,
		"POST /api2/json/nodes/{node}/qemu/{vmid}/status/start": vms,
		"POST /api2/json/cluster/config":                        1,
		"POST /api2/json/cluster/config/join":                   len(w.Env.Layout().Hosts) - 1,
		"POST /api2/json/nodes/{node}/ceph/osd":                 3,
	} {
		rc := routes[route]
		if rc == nil || rc.Statuses["200"] != want {
			t.Errorf("%s answered 200 %v times, want %d: %+v", route, rc, want, rc)
		}
	}
	for route, rc := range routes {
		if rc.Mutating > 0 && rc.Statuses["500"] > 0 {
			t.Errorf("%s was refused %d times (a repeat of what had landed?)", route, rc.Statuses["500"])
		}
	}
	checkConverged(t, w)
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
	} {
		t.Run(tc.name, func(t *testing.T) {
			sends, looks := 0, 0
			req := pveReq{method: "POST", path: "/x",
				call: func(context.Context) (any, error) {
					sends++
					return nil, tc.errs[min(sends, len(tc.errs))-1]
				},
				landed: func(context.Context) (bool, error) { looks++; return sends >= tc.landedAfter, nil },
			}
			env := w.fresh()
			_, err := w.withStep(env, false, func(ctx context.Context, st *run.Step) error {
				_, err := env.pveSendOnce(ctx, st, req)
				return err
			})
			if sends != tc.wantSends || (err != nil) != tc.wantErr {
				t.Errorf("sent %d times (want %d), looked %d times, err %v", sends, tc.wantSends, looks, err)
			}
			if tc.wantErr && (looks != 0 || !strings.Contains(err.Error(), "vmid: invalid format")) {
				t.Errorf("a refusal was looked after or lost its message: %v", err)
			}
		})
	}
}
