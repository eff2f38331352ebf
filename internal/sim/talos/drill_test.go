package talos

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/client"
	mtype "github.com/siderolabs/talos/pkg/machinery/config/machine"
	"google.golang.org/grpc/codes"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// noLeaks fails the test if goroutines it started outlive it. Register it
// first: cleanups run last-in first-out, so it checks after every other.
func noLeaks(t *testing.T) {
	base := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := waitDeadline(t) // goroutines end late on a loaded machine
		for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > base {
			buf := make([]byte, 1<<20)
			t.Errorf("%d goroutines before, %d after:\n%s", base, n, buf[:runtime.Stack(buf, true)])
		}
	})
}

// TestDisasterRecovery is the drill users rehearse: snapshot etcd, lose
// it (reset of EPHEMERAL), upload the snapshot and bootstrap from it.
func TestDisasterRecovery(t *testing.T) {
	noLeaks(t)
	h, c := singleControlPlane(t)
	ctx := testCtx(t)
	putKey(t, h, "10.20.0.11", "/registry/namespaces/prod", "precious")
	rc, err := c.EtcdSnapshot(ctx, &machine.EtcdSnapshotRequest{})
	if err != nil {
		t.Fatal(err)
	}
	snapshot, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Bootstrap(ctx, &machine.BootstrapRequest{RecoverEtcd: true}); code(err) != codes.AlreadyExists {
		t.Fatalf("recovery over live data: %v", err)
	}
	// Lose etcd: wipe EPHEMERAL, keep the config, reboot.
	if _, err := c.MachineClient.Reset(ctx, &machine.ResetRequest{Reboot: true,
		SystemPartitionsToWipe: []*machine.ResetPartitionSpec{{Label: "EPHEMERAL", Wipe: true}}}); err != nil {
		t.Fatal(err)
	}
	err = await(ctx, "etcd wiped and node back", func() bool {
		return h.ns.byIP("10.20.0.11").Mode() == ModeConfigured && len(h.ns.State().EtcdMembers) == 0
	})
	if err != nil {
		t.Fatal(err)
	}
	recoverFrom(t, h, c, snapshot)
	err = await(ctx, "restored key", func() bool { return getKey(t, h, "10.20.0.11", "/registry/namespaces/prod") == "precious" })
	if err != nil {
		t.Fatal(err)
	}
	if kc := h.ns.KubeCluster(endpoint); kc == nil || !kc.Ready() {
		t.Fatal("API server not ready after recovery")
	}
}

// singleControlPlane brings up one bootstrapped control plane.
func singleControlPlane(t *testing.T) (*harness, *client.Client) {
	h := newHarness(t, simcore.Instant, 1, []string{"10.20.0.11"})
	h.ns.Boot(vm(100, "cp-1", "10.20.0.11", "fr-par-1"))
	ctx := testCtx(t)
	if err := h.ns.AwaitMode(ctx, "10.20.0.11", ModeMaintenance); err != nil {
		t.Fatal(err)
	}
	apply(t, h, "10.20.0.11", h.config(mtype.TypeControlPlane, "cp-1", "10.20.0.11", "fr-par-1"))
	if err := h.ns.AwaitMode(ctx, "10.20.0.11", ModeConfigured); err != nil {
		t.Fatal(err)
	}
	c := h.secure("10.20.0.11")
	if err := c.Bootstrap(ctx, &machine.BootstrapRequest{}); err != nil {
		t.Fatal(err)
	}
	if err := h.ns.AwaitEtcdMembers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	return h, c
}

// recoverFrom is talosctl bootstrap --recover-from: upload, then bootstrap
// with recover_etcd, after checking what a missing or corrupt upload gives.
func recoverFrom(t *testing.T, h *harness, c *client.Client, snapshot []byte) {
	ctx := testCtx(t)
	if err := c.Bootstrap(ctx, &machine.BootstrapRequest{RecoverEtcd: true}); code(err) != codes.FailedPrecondition {
		t.Fatalf("recovery without an uploaded snapshot: %v", err)
	}
	corrupt := append(bytes.Clone(snapshot[:len(snapshot)-1]), snapshot[len(snapshot)-1]^0xff)
	if _, err := c.EtcdRecover(ctx, bytes.NewReader(corrupt)); err != nil {
		t.Fatal(err)
	}
	if err := c.Bootstrap(ctx, &machine.BootstrapRequest{RecoverEtcd: true}); code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("recovery from a corrupt snapshot: %v", err)
	}
	if _, err := c.EtcdRecover(ctx, bytes.NewReader(snapshot)); err != nil {
		t.Fatal(err)
	}
	if err := c.Bootstrap(ctx, &machine.BootstrapRequest{RecoverEtcd: true}); err != nil {
		t.Fatal(err)
	}
	if err := h.ns.AwaitEtcdMembers(ctx, 1); err != nil {
		t.Fatal(err)
	}
}

// TestRealisticTimeline runs the realistic profile at a small scale where
// the order of events is what is checked: nothing answers while the VM
// boots, a worker waits for a control plane to sign its certificate, the
// API server is ready only after bootstrap and OpKubeReady, and a REBOOT
// apply blocks further applies until the node is back.
func TestRealisticTimeline(t *testing.T) {
	noLeaks(t)
	h := newHarness(t, simcore.Realistic, 0.02, []string{"10.30.0.11"})
	cp, w := "10.30.0.11", "10.30.0.21"
	start := time.Now()
	h.ns.Boot(vm(1, "cp-1", cp, "DC2"))
	h.ns.Boot(vm(2, "w-1", w, "DC3"))
	if _, ok := h.env.Net.Lookup(cp + ":50000"); ok {
		t.Fatal("the API answers before the VM booted")
	}
	ctx := testCtx(t)
	if err := h.ns.AwaitMode(ctx, cp, ModeMaintenance); err != nil {
		t.Fatal(err)
	}
	if d := h.env.Delay(simcore.OpVMBoot, cp); time.Since(start) < d {
		t.Fatalf("maintenance after %v, before OpVMBoot %v", time.Since(start), d)
	}
	if err := h.ns.AwaitMode(ctx, w, ModeMaintenance); err != nil {
		t.Fatal(err)
	}
	apply(t, h, w, h.config(mtype.TypeWorker, "w-1", w, "DC3"))
	time.Sleep(h.env.Delay(simcore.OpTalosInstall, w) * 3 / 2)
	if m := h.ns.byIP(w).Mode(); m != ModeInstalling {
		t.Fatalf("worker without any control plane is %s, want installing (no trustd)", m)
	}
	// The clock stands still from the apply until the check, so a loaded
	// machine cannot let the install finish first; the maintenance apid
	// stops at the node's next tick, which is awaited, not guessed.
	thaw := freezeClock(h)
	apply(t, h, cp, h.config(mtype.TypeControlPlane, "cp-1", cp, "DC2"))
	if err := await(ctx, "the maintenance API closed", func() bool { _, up := h.env.Net.Lookup(cp + ":50000"); return !up }); err != nil {
		t.Fatal(err)
	}
	if m := h.ns.byIP(cp).Mode(); m != ModeInstalling {
		t.Fatalf("control plane is %s after its apply, want installing", m)
	}
	if _, err := h.insecure(cp).Version(ctx); code(err) != codes.Unavailable {
		t.Fatalf("Version while installing: %v", err)
	}
	thaw()
	for _, ip := range []string{cp, w} {
		if err := h.ns.AwaitMode(ctx, ip, ModeConfigured); err != nil {
			t.Fatal(err)
		}
	}
	kc := h.ns.KubeCluster(endpoint)
	if kc == nil || kc.Ready() {
		t.Fatal("API server missing, or ready before bootstrap")
	}
	bootstrapped := time.Now()
	if err := h.secure(cp).Bootstrap(ctx, &machine.BootstrapRequest{}); err != nil {
		t.Fatal(err)
	}
	if err := h.secure(cp).Bootstrap(ctx, &machine.BootstrapRequest{}); code(err) != codes.AlreadyExists {
		t.Fatalf("Bootstrap while bootstrapping: %v", err)
	}
	if err := await(ctx, "API server ready", kc.Ready); err != nil {
		t.Fatal(err)
	}
	if min := h.env.Delay(simcore.OpEtcdBootstrap, cp) + h.env.Delay(simcore.OpKubeReady, "lab"); time.Since(bootstrapped) < min {
		t.Fatalf("ready %v after Bootstrap, before OpEtcdBootstrap+OpKubeReady %v", time.Since(bootstrapped), min)
	}
	if err := await(ctx, "worker Ready", func() bool { return kc.NodeReady("w-1") }); err != nil {
		t.Fatal(err)
	}
	testRebootApply(t, h, w)
}

func testRebootApply(t *testing.T, h *harness, ip string) {
	ctx := testCtx(t)
	cfg := string(h.config(mtype.TypeWorker, "w-1", ip, "DC3"))
	withEnv := []byte(strings.Replace(cfg, "\nmachine:\n", "\nmachine:\n    env:\n        HTTPS_PROXY: http://proxy:3128\n", 1))
	c := h.secure(ip)
	// apid answers only in the first tenth of the reboot: the clock stands
	// still until the second apply has been answered in it.
	thaw := freezeClock(h)
	resp, err := c.ApplyConfiguration(ctx, &machine.ApplyConfigurationRequest{Data: withEnv, Mode: machine.ApplyConfigurationRequest_AUTO})
	if err != nil || resp.Messages[0].Mode != machine.ApplyConfigurationRequest_REBOOT {
		t.Fatalf("AUTO apply of a reboot-only change = %v, %v", resp, err)
	}
	_, err = c.ApplyConfiguration(ctx, &machine.ApplyConfigurationRequest{Data: withEnv})
	if code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "node is rebooting") {
		t.Fatalf("apply during the reboot: %v", err)
	}
	thaw()
	if err := h.ns.AwaitMode(ctx, ip, ModeConfigured); err != nil {
		t.Fatal(err)
	}
	resp, err = c.ApplyConfiguration(ctx, &machine.ApplyConfigurationRequest{Data: withEnv, Mode: machine.ApplyConfigurationRequest_NO_REBOOT})
	if err != nil {
		t.Fatalf("apply after the reboot: %v", err)
	}
}

// freezeClock stops the simulated clock where it is until thaw is called,
// so that a check made inside a timed phase cannot be overtaken by the
// phase's end on a loaded machine. The wall clock runs on meanwhile: once
// thawed, every phase ends when it would have without the freeze.
func freezeClock(h *harness) (thaw func()) {
	at := h.env.Now()
	h.env.SetClock(func() time.Time { return at })
	thawed := false
	thaw = func() {
		if !thawed {
			thawed = true
			h.env.SetClock(nil)
		}
	}
	h.t.Cleanup(thaw)
	return thaw
}

func apply(t *testing.T, h *harness, ip string, cfg []byte) {
	t.Helper()
	ctx := testCtx(t)
	resp, err := h.insecure(ip).ApplyConfiguration(ctx, &machine.ApplyConfigurationRequest{Data: cfg})
	// A node that has just entered maintenance may still be opening its
	// listener on a loaded machine: a refused dial sent nothing, so it is
	// tried again, as the tool does.
	for code(err) == codes.Unavailable && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
		resp, err = h.insecure(ip).ApplyConfiguration(ctx, &machine.ApplyConfigurationRequest{Data: cfg})
	}
	if err != nil {
		t.Fatal(fmt.Errorf("apply to %s: %w", ip, err))
	}
	if resp.Messages[0].Mode != machine.ApplyConfigurationRequest_NO_REBOOT {
		t.Fatalf("apply to %s resolved to %v", ip, resp.Messages[0].Mode)
	}
}
