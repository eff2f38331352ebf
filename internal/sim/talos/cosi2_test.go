package talos

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cosi-project/runtime/pkg/resource"
	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/cosi-project/runtime/pkg/state"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	mtype "github.com/siderolabs/talos/pkg/machinery/config/machine"
	clusterres "github.com/siderolabs/talos/pkg/machinery/resources/cluster"
	"github.com/siderolabs/talos/pkg/machinery/resources/etcd"
	"github.com/siderolabs/talos/pkg/machinery/resources/k8s"
	"github.com/siderolabs/talos/pkg/machinery/resources/runtime"
	"github.com/siderolabs/talos/pkg/machinery/resources/v1alpha1"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// TestCOSIResources reads a control plane and a worker through machinery's
// COSI client as talosctl get and talosctl health do: in maintenance mode
// without a certificate, then over mutual TLS once configured, through the
// stages of an install, and watches a member go when its node is reset.
func TestCOSIResources(t *testing.T) {
	h := newHarness(t, simcore.Realistic, 0.02, []string{"10.20.0.11"})
	cp, w := "10.20.0.11", "10.20.0.21"
	h.ns.Boot(vm(1, "cp-1", cp, "DC2"))
	h.ns.Boot(vm(2, "w-1", w, "DC3"))
	ctx := testCtx(t)
	for _, ip := range []string{cp, w} {
		if err := h.ns.AwaitMode(ctx, ip, ModeMaintenance); err != nil {
			t.Fatal(err)
		}
	}
	testCOSIMaintenance(t, h, w, "w-1")

	// The worker installs first: it then waits, booted into its config,
	// for the control plane's trustd to sign its certificate.
	workerStages := stages(t, h.ns.byIP(w))
	apply(t, h, w, h.config(mtype.TypeWorker, "w-1", w, "DC3"))
	err := await(ctx, "worker booting", func() bool {
		return slices.Contains(workerStages(), runtime.MachineStageBooting)
	})
	if err != nil {
		t.Fatalf("%v: stages %v", err, workerStages())
	}
	apply(t, h, cp, h.config(mtype.TypeControlPlane, "cp-1", cp, "DC2"))
	for _, ip := range []string{cp, w} {
		if err := h.ns.AwaitMode(ctx, ip, ModeConfigured); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.secure(cp).Bootstrap(ctx, &machine.BootstrapRequest{}); err != nil {
		t.Fatal(err)
	}
	if err := h.ns.AwaitEtcdMembers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	err = await(ctx, "worker running", func() bool { return slices.Contains(workerStages(), runtime.MachineStageRunning) })
	want := []runtime.MachineStage{runtime.MachineStageMaintenance, runtime.MachineStageInstalling, runtime.MachineStageBooting, runtime.MachineStageRunning}
	if got := workerStages(); err != nil || !slices.Equal(got, want) {
		t.Fatalf("worker stages = %v, want %v (%v)", got, want, err)
	}

	c := h.readerClient(cp)
	awaitCOSI(t, "members cp-1 and w-1", func() bool { return ids(get(t, c, "members")) == "cp-1,w-1" })
	members, err := safe.StateListAll[*clusterres.Member](ctx, c.COSI)
	if err != nil {
		t.Fatal(err)
	}
	for m := range members.All() {
		s := m.TypedSpec()
		typ := map[string]mtype.Type{"cp-1": mtype.TypeControlPlane, "w-1": mtype.TypeWorker}[s.Hostname]
		if s.MachineType != typ || len(s.Addresses) != 1 || s.OperatingSystem == "" || len(s.NodeID) != 43 {
			t.Fatalf("member %s = %+v", m.Metadata().ID(), s)
		}
	}
	// Nothing changed, so nothing is rewritten: a watcher sees only real
	// changes.
	before := versions(get(t, c, "links"), get(t, c, "routes"), get(t, c, "members"))
	time.Sleep(20 * h.ns.Tick)
	if after := versions(get(t, c, "links"), get(t, c, "routes"), get(t, c, "members")); after != before {
		t.Fatalf("versions moved without a change: %s, then %s", before, after)
	}
	if got := ids(get(t, h.readerClient(w), "affiliates")); len(got) != 87 {
		t.Fatalf("affiliates seen from the worker = %s", got)
	}
	nn, err := safe.StateGetByID[*k8s.Nodename](ctx, c.COSI, k8s.NodenameID)
	if err != nil || nn.TypedSpec().Nodename != "cp-1" {
		t.Fatalf("nodename = %v, %v", nn, err)
	}
	awaitCOSI(t, "etcd member and healthy static pods", func() bool {
		em, err := safe.StateGetByID[*etcd.Member](ctx, c.COSI, etcd.LocalMemberID)
		pods := get(t, c, "staticpodstatus")
		svc, serr := safe.StateGetByID[*v1alpha1.Service](ctx, c.COSI, "etcd")
		return err == nil && len(em.TypedSpec().MemberID) == 16 && len(pods) == 3 && serr == nil && svc.TypedSpec().Healthy &&
			ids(pods) == "kube-system/kube-apiserver-cp-1,kube-system/kube-controller-manager-cp-1,kube-system/kube-scheduler-cp-1"
	})
	if got := ids(get(t, h.readerClient(w), "staticpodstatus")); got != "" {
		t.Fatalf("static pods on a worker: %s", got)
	}
	if ms, err := safe.StateGetByID[*runtime.MachineStatus](ctx, c.COSI, runtime.MachineStatusID); err != nil || ms.TypedSpec().Stage != runtime.MachineStageRunning {
		t.Fatalf("control plane MachineStatus = %v, %v", ms, err)
	}

	// talosctl get members --watch on the control plane while the worker
	// is reset: the worker's member is destroyed.
	events := make(chan safe.WrappedStateEvent[*clusterres.Member])
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := safe.StateWatchKind(wctx, c.COSI, clusterres.NewMember(clusterres.NamespaceName, "").Metadata(), events, state.WithBootstrapContents(true)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.secure(w).MachineClient.Reset(ctx, &machine.ResetRequest{}); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(time.Until(waitDeadline(t)))
	for {
		select {
		case ev := <-events:
			if ev.Type() == state.Errored {
				t.Fatal(ev.Error())
			}
			if m, err := ev.Resource(); ev.Type() == state.Destroyed && err == nil && m.Metadata().ID() == "w-1" {
				if got := ids(get(t, c, "members")); got != "cp-1" {
					t.Fatalf("members after the reset = %s", got)
				}
				return
			}
		case <-timeout:
			t.Fatalf("w-1 never left the members; now %s", ids(get(t, c, "members")))
		}
	}
}

// awaitCOSI waits for a condition read through the COSI API.
func awaitCOSI(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if err := await(testCtx(t), what, cond); err != nil {
		t.Fatal(err)
	}
}

func versions(lists ...[]resource.Resource) string {
	var out []string
	for _, l := range lists {
		for _, r := range l {
			out = append(out, r.Metadata().ID()+"@"+r.Metadata().Version().String())
		}
	}
	return strings.Join(out, " ")
}
