package e2e

import (
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/inventory"
)

// TestLabComesUpFromThePublicSide: `tripod sim serve` puts the operator on
// the internet by default, where the private network (the VMs' Talos API,
// the Kubernetes endpoint) has no socket at all; lab comes up healthy
// anyway, every Talos and Kubernetes request having reached its node
// through a direct-tcpip channel of a host's SSH, and no forward refused by
// policy. The files tripod wrote work from the same side, through the
// hosts.
func TestLabComesUpFromThePublicSide(t *testing.T) {
	sim := startSim(t, "--profile", "realistic", "--time-scale", "0.0005", "--seed", "11")
	var info struct {
		Operator string `json:"operator"`
	}
	sim.getJSON("/info", &info)
	if info.Operator != "public" {
		t.Fatalf("sim serve put the operator on the %q side, want public by default", info.Operator)
	}
	file := "../inventories/lab.yaml"
	l, err := inventory.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if r := tripod(t, sim, "up", "-i", file, "--state-dir", dir); r.code != 0 {
		t.Fatalf("up: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	rq := sim.requests()
	checkOnlyThroughHosts(t, sim, rq)
	checkWorld(t, sim, l)
	checkEtcdMembers(t, sim, dir, l)
	checkKubeNodes(t, sim, dir, l)
	for api, a := range rq.APIs {
		t.Logf("requests: %s %d (mutating %d)", api, a.Total, a.Mutating)
	}
	if len(rq.Errors) > 0 {
		t.Errorf("simulator recorded errors: %+v", rq.Errors)
	}
}

// checkOnlyThroughHosts: the simulator's map publishes no private address
// for the operator, the private services were reached (so only through a
// host, the one way in), and the hosts' sshd shows the forwards to them.
func checkOnlyThroughHosts(t *testing.T, sim *simProc, rq requests) {
	t.Helper()
	var nm struct {
		Entries []struct {
			Address  string `json:"address"`
			Loopback string `json:"loopback"`
			Side     string `json:"side"`
		} `json:"entries"`
	}
	sim.getJSON("/netmap", &nm)
	for _, e := range nm.Entries {
		if e.Side == "private" || strings.HasPrefix(e.Address, "10.") {
			t.Errorf("the operator's map holds the private address %s (at %s)", e.Address, e.Loopback)
		}
	}
	ssh := rq.APIs["ssh"]
	for _, service := range []string{"talos", "kube"} {
		if rq.APIs[service].Total == 0 {
			t.Errorf("no %s request was served: the run never reached the private network", service)
		}
		fw, ok := ssh.Routes["direct-tcpip "+service]
		if !ok || fw.Statuses["open"] == 0 {
			t.Errorf("no forward to %s through a host's SSH: ssh routes %+v", service, ssh.Routes)
		}
	}
	for route, c := range ssh.Routes {
		if strings.HasPrefix(route, "direct-tcpip") && c.Statuses["prohibited"] > 0 {
			t.Errorf("%s: %d forwards refused by policy", route, c.Statuses["prohibited"])
		}
	}
}
