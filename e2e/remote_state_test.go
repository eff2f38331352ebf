package e2e

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/s3test"
)

// bucketEnv serves a real S3 server on loopback for one test and returns
// its state URL and the environment a CI job would set: the bucket's keys
// and the age identity that seals the secrets.
func bucketEnv(t *testing.T, query string) (*s3test.Server, string, []string) {
	t.Helper()
	srv, env := s3test.ForTest(t, "tripod-state")
	return srv, "s3://tripod-state/labs/lab?endpoint=" + srv.URL + query, env
}

// inEmptyDir runs tripod from a fresh working directory, as a second
// machine with nothing on its disk would.
func inEmptyDir(t *testing.T, sim *simProc, env []string, args ...string) result {
	t.Helper()
	return tripodEnv(t, sim, append(env, "HOME="+t.TempDir(), "TMPDIR="+t.TempDir()), args...)
}

// TestRemoteStateTwoRunsAndASecondMachine: two `up` runs started together
// on one bucket: exactly one proceeds and brings lab up, the other says who
// holds the lock and sends nothing. A second machine (an empty disk) then
// runs status and up from the bucket alone, through a bucket answering 503
// for a while, and makes zero mutations.
func TestRemoteStateTwoRunsAndASecondMachine(t *testing.T) {
	sim := startSim(t, "--profile", "realistic", "--time-scale", "0.0005", "--seed", "5")
	srv, url, env := bucketEnv(t, "")
	inv := "../inventories/lab.yaml"
	var wg sync.WaitGroup
	res := make([]result, 2)
	for i := range res {
		wg.Add(1)
		go func() { defer wg.Done(); res[i] = inEmptyDir(t, sim, env, "up", "-i", inv, "--state", url) }()
	}
	wg.Wait()
	ok, locked := 0, 0
	for _, r := range res {
		switch {
		case r.code == 0:
			ok++
		case strings.Contains(r.stderr, "s3://tripod-state/labs/lab is locked by \"tripod up\"") && strings.Contains(r.stderr, "since") && strings.Contains(r.stderr, "tripod unlock --force"):
			locked++
		default:
			t.Errorf("up: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
	}
	if ok != 1 || locked != 1 {
		t.Fatalf("%d runs proceeded and %d were told who holds the lock, want 1 and 1", ok, locked)
	}
	l, err := inventory.Load(inv)
	if err != nil {
		t.Fatal(err)
	}
	checkWorld(t, sim, l)
	var st worldState
	sim.getJSON("/state", &st)
	if n := len(st.Scaleway.Servers); n != len(l.Layout.Hosts) {
		t.Errorf("%d servers exist for %d hosts", n, len(l.Layout.Hosts))
	}

	before := sim.requests()
	srv.FailNext(4, 503)
	if r := inEmptyDir(t, sim, env, "status", "-i", inv, "--state", url); r.code != 0 {
		t.Errorf("status from the bucket alone: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if n := srv.Failed.Load(); n != 4 {
		t.Errorf("the bucket answered %d 503s, want 4", n)
	}
	if r := inEmptyDir(t, sim, env, "up", "-i", inv, "--state", url); r.code != 0 {
		t.Errorf("up from the bucket alone: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if after := sim.requests(); after.Mutating != before.Mutating {
		t.Errorf("the second machine sent %d mutating requests: %v", after.Mutating-before.Mutating, after.mutatingRoutes())
	}
}

// TestRemoteStateKilledHolderIsTakenOver: a run SIGKILLed at a journal
// boundary of the server orders (right after an intent; after an order was
// sent, before its answer was recorded) leaves the journal in the bucket
// and its lock with a lease; a run during the lease is told who holds it
// and sends nothing; after the lease one takes over, finds what was
// ordered instead of paying twice, and converges.
func TestRemoteStateKilledHolderIsTakenOver(t *testing.T) {
	for _, point := range []string{"after-intent order#1", "before-record order#2"} {
		t.Run(strings.ReplaceAll(point, " ", "-"), func(t *testing.T) { killAndTakeOver(t, point) })
	}
}

// TestRemoteCrashSweep is the crash sweep with remote state: the points
// TestCrashAnywhereConverges kills at (all of them with
// TRIPOD_CRASH_FULL=1), each killed, taken over after its lease and
// converged without a double order. Each point waits out a lease, so it
// runs only when asked (TRIPOD_CRASH_REMOTE=1); CI runs the two order
// boundaries of TestRemoteStateKilledHolderIsTakenOver.
func TestRemoteCrashSweep(t *testing.T) {
	if os.Getenv("TRIPOD_CRASH_REMOTE") == "" {
		t.Skip("the remote crash sweep runs with TRIPOD_CRASH_REMOTE=1")
	}
	chosen := choosePoints(crashPoints(t), os.Getenv("TRIPOD_CRASH_FULL") != "")
	for _, p := range chosen {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			killAndTakeOver(t, p)
		})
	}
}

// killAndTakeOver kills a remote-state up at point and checks the lock
// during the lease, the take-over after it, and convergence.
func killAndTakeOver(t *testing.T, point string) {
	sim := startSim(t, crashSimArgs...)
	const lease = 10 * time.Second
	_, url, env := bucketEnv(t, "&lease=10s")
	r := inEmptyDir(t, sim, append(env, "TRIPOD_CRASH_AT="+point), "up", "-i", crashInventory, "--state", url)
	if !r.killed {
		t.Fatalf("the run was not killed at %s (exit %d)\n%s", point, r.code, r.stderr)
	}
	killedAt := time.Now()
	base := sim.requests().Mutating
	r = inEmptyDir(t, sim, env, "up", "-i", crashInventory, "--state", url)
	if time.Since(killedAt) > lease {
		t.Fatalf("the machine is too slow for this test: a run took longer than the %s lease to start", lease)
	}
	if r.code == 0 || !strings.Contains(r.stderr, "is locked by \"tripod up\"") {
		t.Fatalf("a run during the dead holder's lease: exit %d\n%s", r.code, r.stderr)
	}
	if got := sim.requests().Mutating; got != base {
		t.Errorf("the locked-out run sent %d mutating requests", got-base)
	}
	for time.Since(killedAt) < lease+500*time.Millisecond {
		time.Sleep(100 * time.Millisecond)
	}
	r = inEmptyDir(t, sim, env, "up", "-i", crashInventory, "--state", url)
	if r.code != 0 || !strings.Contains(r.stderr, "recovered the lock of tripod up") {
		t.Fatalf("up after the lease: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	l, err := inventory.Load(crashInventory)
	if err != nil {
		t.Fatal(err)
	}
	checkWorld(t, sim, l)
	var st worldState
	sim.getJSON("/state", &st)
	if n := len(st.Scaleway.Servers); n != len(l.Layout.Hosts) {
		t.Errorf("%d servers exist for %d hosts: something was ordered twice", n, len(l.Layout.Hosts))
	}
	if n := sim.dediboxOrders(); n != len(l.Layout.Hosts) {
		t.Errorf("%d Dedibox orders for %d hosts", n, len(l.Layout.Hosts))
	}
	names := map[string]int{}
	for _, vm := range st.Proxmox.VMs {
		names[vm.Name]++
	}
	if len(names) != len(l.Layout.VMs) || len(st.Proxmox.VMs) != len(l.Layout.VMs) {
		t.Errorf("%d VMs (%d names) exist, want %d", len(st.Proxmox.VMs), len(names), len(l.Layout.VMs))
	}
	if n := sim.requests().APIs["talos"].Routes["/machine.MachineService/Bootstrap"].Mutating; n != 1 {
		t.Errorf("etcd was bootstrapped %d times", n)
	}
	before := sim.requests()
	if r := inEmptyDir(t, sim, env, "up", "-i", crashInventory, "--state", url); r.code != 0 {
		t.Fatalf("up after convergence: exit %d\n%s", r.code, r.stderr)
	}
	if after := sim.requests(); after.Mutating != before.Mutating {
		t.Errorf("a run after convergence sent %d mutating requests: %v", after.Mutating-before.Mutating, after.mutatingRoutes())
	}
}
