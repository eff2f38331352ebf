package stage

import (
	"encoding/base64"
	"strings"
	"testing"

	clientconfig "github.com/siderolabs/talos/pkg/machinery/client/config"
	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/config/encoder"
	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"
	"github.com/siderolabs/talos/pkg/machinery/config/types/v1alpha1"
	"github.com/siderolabs/talos/pkg/machinery/role"

	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
	"github.com/tripod-dev/tripod/internal/talos"
)

// TestTalosRefusalsStopOnlyTheirNode: a node that refuses its config
// (InvalidArgument) or the caller (PermissionDenied) fails its own target
// at once, with the node's message and without a retry, while every other
// node goes on; secrets stay out of every event and error.
func TestTalosRefusalsStopOnlyTheirNode(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml", withProfile(simcore.Instant, 0.01), onVLAN)
	worker := tw.Env.Layout().Workers()[0]
	seedLazy(tw.Env.talos.stored.config(worker.Name), withoutInstall(t, tw.Env, worker.Name))
	events := &eventLog{}
	rep, err := tw.talosRun(tw.Env, false, events)
	if err == nil {
		t.Fatal("a config the node refuses was reported applied")
	}
	checkRefused(t, rep, run.On(Apply, worker.Name), "InvalidArgument", "install instructions are required")
	for _, s := range rep.Failed() {
		if s.Key != run.On(Apply, worker.Name) && s.Key != run.On(Health, kubernetesTarget) {
			t.Errorf("%s: %s (%v): only the refused node and what needs every node may stop", s.Key, s.Status, s.Err)
		}
	}
	checkBootstrappedOnce(t, tw)
	if n := routeTotal(tw, applyRoute); n != len(tw.Env.Layout().VMs) || tw.Env.Retries.Counts()["talos"] != 0 {
		t.Errorf("%d applies and retries %v: the refused apply was sent again", n, tw.Env.Retries)
	}
	checkNoSecrets(t, tw, events.text()+reportErrors(rep))

	// The worker now gets its real config (maintenance needs no role), but
	// a client with os:reader only is refused by every configured node.
	env := tw.fresh()
	env.Inv = labWithPatches(t, "    - inline:\n        machine:\n          nodeLabels:\n            tier: gold\n")
	seedLazy(&env.talos.stored.talosconfig, readerTalosconfig(t, env))
	events = &eventLog{}
	before := routeStatus(tw, applyRoute, "PermissionDenied")
	rep, _ = tw.talosRun(env, false, events)
	if got := stepsOf(rep, Apply, run.StatusChanged); len(got) != 1 || got[0] != worker.Name {
		t.Errorf("applied %v, want the worker in maintenance mode only", got)
	}
	refused := 0
	for _, vm := range tw.Env.Layout().VMs {
		if vm.Name != worker.Name {
			checkRefused(t, rep, run.On(Apply, vm.Name), "PermissionDenied", "not authorized")
			refused++
		}
	}
	if n := routeStatus(tw, applyRoute, "PermissionDenied") - before; n != refused {
		t.Errorf("%d refused applies for %d nodes: a refusal was sent again", n, refused)
	}
	checkNoSecrets(t, tw, events.text()+reportErrors(rep))
}

// checkRefused: key failed with the gRPC code and the node's own words.
func checkRefused(t *testing.T, rep *run.Report, key run.Key, code, message string) {
	t.Helper()
	msg := failure(rep, key)
	if !strings.Contains(msg, code) || !strings.Contains(msg, message) {
		t.Errorf("%s: %q, want the node's %s %q", key, msg, code, message)
	}
	if strings.Contains(msg, "attempts") {
		t.Errorf("%s was retried: %s", key, msg)
	}
}

// seedLazy makes v what l holds, as if built there, in place of anything
// built before: how a test stands in for a config or talosconfig tripod
// would not make.
func seedLazy[T any](l *lazy[T], v T) {
	*l = lazy[T]{}
	l.get(func() (T, error) { return v, nil })
}

// withoutInstall renders node's config and drops its install section: a
// config every node in metal mode refuses.
func withoutInstall(t *testing.T, env *Env, node string) *talos.Rendered {
	t.Helper()
	if _, err := env.State.Secrets.GetOrCreate(secretTalosBundle, func() ([]byte, error) {
		return talos.NewBundle(secrets.NewClock(), env.Cluster().Talos.Version)
	}); err != nil {
		t.Fatal(err)
	}
	vm, _ := env.talosVM(node)
	r, err := env.nodeConfig(vm, false)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := configloader.NewFromBytes(r.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err = cfg.PatchV1Alpha1(func(c *v1alpha1.Config) error { c.MachineConfig.MachineInstall = nil; return nil })
	if err != nil {
		t.Fatal(err)
	}
	b, err := cfg.EncodeBytes(encoder.WithComments(encoder.CommentsDisabled))
	if err != nil {
		t.Fatal(err)
	}
	return &talos.Rendered{Node: node, Bytes: b}
}

// readerTalosconfig is env's talosconfig with an os:reader certificate.
func readerTalosconfig(t *testing.T, env *Env) *clientconfig.Config {
	t.Helper()
	b, _, err := env.talosBundle(false)
	if err != nil {
		t.Fatal(err)
	}
	r, err := talos.NewRenderer(env.Inv, b)
	if err != nil {
		t.Fatal(err)
	}
	tc, err := r.Talosconfig()
	if err != nil {
		t.Fatal(err)
	}
	cert, err := b.GenerateTalosAPIClientCertificate(role.MakeSet(role.Reader))
	if err != nil {
		t.Fatal(err)
	}
	ctx := tc.Contexts[tc.Context]
	ctx.Crt, ctx.Key = base64.StdEncoding.EncodeToString(cert.Crt), base64.StdEncoding.EncodeToString(cert.Key)
	return tc
}

func routeTotal(tw *testWorld, route string) int {
	if r := tw.World.Env.Log.Snapshot().APIs[simcore.APITalos].Routes[route]; r != nil {
		return r.Total
	}
	return 0
}

func routeStatus(tw *testWorld, route, code string) int {
	if r := tw.World.Env.Log.Snapshot().APIs[simcore.APITalos].Routes[route]; r != nil {
		return r.Statuses[code]
	}
	return 0
}
