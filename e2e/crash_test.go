package e2e

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/inventory"
)

// The crash sweep kills `tripod up` with SIGKILL at points of a lab run
// (after an intent is journaled and before its call, after a call and before
// its result is recorded, in the middle of waits), runs up again, and checks
// that the world is the one an uninterrupted run leaves: as many servers as
// the inventory and no more, every VM once, one Proxmox cluster, one etcd
// bootstrap, and the machine configs the nodes run are the ones in the
// state directory. CI runs a reduced set of points; TRIPOD_CRASH_FULL=1
// (make crash) runs every mutation boundary.

const crashInventory = "../inventories/lab.yaml"

var crashSimArgs = []string{"--profile", "realistic", "--time-scale", "0.0005", "--seed", "21"}

func TestCrashAnywhereConverges(t *testing.T) {
	points := crashPoints(t)
	chosen := choosePoints(points, os.Getenv("TRIPOD_CRASH_FULL") != "")
	if len(chosen) < 6 {
		t.Fatalf("only %d crash points chosen from %d hits; the run has lost its crash points", len(chosen), len(points))
	}
	t.Logf("killing at %d of %d points", len(chosen), len(points))
	for _, p := range chosen {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			crashAndResume(t, p)
		})
	}
}

// crashPoints runs lab once, uninterrupted, and lists the crash points it
// passed, in order.
func crashPoints(t *testing.T) []string {
	t.Helper()
	sim := startSim(t, crashSimArgs...)
	log := filepath.Join(t.TempDir(), "points")
	r := tripodEnv(t, sim, []string{"TRIPOD_CRASH_LOG=" + log}, "up", "-i", crashInventory, "--state-dir", t.TempDir())
	if r.code != 0 {
		t.Fatalf("reference run: exit %d\n%s", r.code, r.stderr)
	}
	f, err := os.Open(log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		_, name, _ := strings.Cut(sc.Text(), " ")
		out = append(out, name)
	}
	return out
}

// choosePoints turns hits into NAME#K kill points. The full set is every
// mutation boundary hit plus every tenth wait; the reduced set is the first
// hit of each boundary kind for the verbs where a crash costs most (an
// order, an install, a join, a VM, an apply, the bootstrap) and two waits.
// A killed run polls fewer or more times than the reference run, so waits
// are chosen only in the first three quarters of the reference's: a rank
// near its end may never be reached.
func choosePoints(hits []string, full bool) []string {
	seen := map[string]int{}
	var out []string
	critical := []string{"order", "install", "join", "create", "apply", "bootstrap"}
	total := 0
	for _, h := range hits {
		if strings.HasPrefix(h, "in-wait ") {
			total++
		}
	}
	waits := 0
	for _, h := range hits {
		seen[h]++
		k := seen[h]
		kind, verb, _ := strings.Cut(h, " ")
		switch {
		case kind == "in-wait":
			// Waits are named after servers and IDs that concurrent steps
			// draw in a different order each run, and poll a varying number
			// of times: they are chosen by their rank among all waits.
			waits++
			if (full && waits%10 == 1 && waits <= total*3/4) || (!full && (waits == 3 || waits == 15)) {
				out = append(out, fmt.Sprintf("in-wait#%d", waits))
			}
		case full:
			out = append(out, fmt.Sprintf("%s#%d", h, k))
		case k == 1 && containsAny(verb, critical):
			out = append(out, fmt.Sprintf("%s#%d", h, k))
		}
	}
	return out
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

func crashAndResume(t *testing.T, point string) {
	sim := startSim(t, crashSimArgs...)
	dir := t.TempDir()
	r := tripodEnv(t, sim, []string{"TRIPOD_CRASH_AT=" + point}, "up", "-i", crashInventory, "--state-dir", dir)
	if !r.killed {
		t.Fatalf("the run was not killed at %s (exit %d)\n%s", point, r.code, r.stderr)
	}
	r = tripod(t, sim, "up", "-i", crashInventory, "--state-dir", dir)
	if r.code != 0 {
		t.Fatalf("resume after a kill at %s: exit %d\n%s\n%s", point, r.code, r.stdout, r.stderr)
	}
	l, err := inventory.Load(crashInventory)
	if err != nil {
		t.Fatal(err)
	}
	checkConverged(t, sim, l, dir)
	before := sim.requests()
	if r := tripod(t, sim, "up", "-i", crashInventory, "--state-dir", dir); r.code != 0 {
		t.Fatalf("third up: exit %d", r.code)
	}
	if after := sim.requests(); after.Mutating != before.Mutating {
		t.Errorf("a run after convergence sent %d mutating requests: %v", after.Mutating-before.Mutating, after.mutatingRoutes())
	}
}

// checkConverged holds the world to what an uninterrupted run leaves.
func checkConverged(t *testing.T, sim *simProc, l *inventory.Loaded, dir string) {
	t.Helper()
	checkWorld(t, sim, l)
	var st worldState
	sim.getJSON("/state", &st)
	if n := len(st.Scaleway.Servers); n != len(l.Layout.Hosts) {
		t.Errorf("%d servers exist, the inventory has %d hosts: something was ordered twice", n, len(l.Layout.Hosts))
	}
	names := map[string]int{}
	for _, vm := range st.Proxmox.VMs {
		names[vm.Name]++
	}
	for name, n := range names {
		if n > 1 {
			t.Errorf("VM %s exists %d times", name, n)
		}
	}
	if n := len(st.Proxmox.VMs); n != len(l.Layout.VMs) {
		t.Errorf("%d VMs exist, want %d", n, len(l.Layout.VMs))
	}
	req := sim.requests()
	if n := req.APIs["talos"].Routes["/machine.MachineService/Bootstrap"].Mutating; n != 1 {
		t.Errorf("etcd was bootstrapped %d times", n)
	}
	if n := req.APIs["proxmox"].Routes["POST /api2/json/cluster/config"].Mutating; n != 1 {
		t.Errorf("the Proxmox cluster was created %d times", n)
	}
	running := map[string]string{}
	for _, n := range st.Talos.Nodes {
		running[n.Address] = n.ConfigSHA256
	}
	for _, vm := range l.Layout.VMs {
		b, err := os.ReadFile(filepath.Join(dir, "talos", vm.Name+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if got := running[vm.Address.String()]; got != hex.EncodeToString(sum[:]) {
			t.Errorf("%s runs config %s, the state directory has %x", vm.Name, got, sum)
		}
	}
}
