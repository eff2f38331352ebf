package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/inventory"
)

// TestUpCompletesUnderFaults runs lab against a simulator that fails 5% of
// HTTP requests with a 5xx, throttles 2% (half with Retry-After, half
// without), answers 5% of gRPC calls Unavailable and hangs a few requests
// of every API for longer than any attempt may take, and loses 1% of answers
// after serving them (a create that happened though the client never heard). up must still converge,
// order nothing twice, and report its retries per API in its summary.
func TestUpCompletesUnderFaults(t *testing.T) {
	sim := startSim(t, "--profile", "realistic", "--time-scale", "0.0005", "--seed", "3",
		"--faults", "5xx=0.05;429=0.01;429-bare=0.01;unavailable=0.05;hang=0.003;lost=0.01;hang-for=10m")
	dir := t.TempDir()
	inv := "../inventories/lab.yaml"
	r := tripod(t, sim, "up", "-i", inv, "--state-dir", dir, "-o", "json")
	if r.code != 0 {
		t.Fatalf("up under faults: exit %d\n%s", r.code, tail(r.stdout, 30))
	}
	var end struct {
		Kind    string
		Summary struct {
			Ready   bool
			Retries map[string]int
		}
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &end); err != nil || end.Kind != "run-end" {
		t.Fatalf("no run-end at the end of the JSON stream: %v\n%s", err, lines[len(lines)-1])
	}
	sum := end.Summary
	if !sum.Ready {
		t.Fatal("summary says the cluster is not ready")
	}
	for _, api := range []string{"scaleway", "proxmox", "talos"} {
		if sum.Retries[api] == 0 {
			t.Errorf("no %s retries reported under faults: %v", api, sum.Retries)
		}
	}
	l, _ := inventory.Load(inv)
	checkWorld(t, sim, l)
	var st worldState
	sim.getJSON("/state", &st)
	if n := len(st.Scaleway.Servers); n != len(l.Layout.Hosts) {
		t.Errorf("%d servers exist under faults, want %d", n, len(l.Layout.Hosts))
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
