package e2e

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/inventory"
)

// TestLabIsHardenedAfterUp: after `up` against `tripod sim serve`, the
// simulator's own exposure query says every host accepts SSH only, keys
// only, from a stranger and from the operator, and corosync and Ceph from
// the VLAN; `tripod status` prints the same per host.
func TestLabIsHardenedAfterUp(t *testing.T) {
	sim := startSim(t, "--profile", "realistic", "--time-scale", "0.0005", "--seed", "18", "--operator-source", "203.0.113.10")
	file := "../inventories/lab.yaml"
	l, err := inventory.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if r := tripod(t, sim, "up", "-i", file, "--state-dir", dir); r.code != 0 {
		t.Fatalf("up: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, src := range []string{strangerSource, "203.0.113.10"} {
		checkSSHKeysOnly(t, sim, l, src)
	}
	for i, h := range l.Layout.Hosts {
		peer := l.Layout.Hosts[(i+1)%len(l.Layout.Hosts)].PrivateAddress.String()
		if ex := exposureOf(sim, peer, h.Name); !slices.Contains(ex.Accepts, "5405:5412/udp") || !slices.Contains(ex.Accepts, "6800:7300/tcp") {
			t.Errorf("from the VLAN, %s accepts %v: corosync and Ceph missing", h.Name, ex.Accepts)
		}
	}
	r := tripod(t, sim, "status", "-i", file, "--state-dir", dir)
	if r.code != 0 {
		t.Fatalf("status: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	out := r.stdout + r.stderr
	for _, h := range l.Layout.Hosts {
		if !strings.Contains(out, "exposure     "+h.Name+": SSH keys only; SSH from anywhere, 8006 only through SSH") {
			t.Errorf("status shows no hardened exposure for %s:\n%s", h.Name, out)
		}
	}
}

// strangerSource is a public address outside every allowed source.
const strangerSource = "192.0.2.50"

// exposure is the simulator's answer to "from source, which ports of host
// accept a connection, and how does its sshd authenticate?".
type exposure struct {
	Accepts []string `json:"accepts"`
	Ports   []struct {
		Service, Auth string
	} `json:"ports"`
}

func exposureOf(sim *simProc, source, host string) exposure {
	var ex exposure
	sim.getJSON("/exposure?"+url.Values{"source": {source}, "host": {host}}.Encode(), &ex)
	return ex
}

// checkSSHKeysOnly: from source, every host of l accepts SSH and nothing
// else, and its sshd takes keys only.
func checkSSHKeysOnly(t *testing.T, sim *simProc, l *inventory.Loaded, source string) {
	t.Helper()
	for _, h := range l.Layout.Hosts {
		ex := exposureOf(sim, source, h.Name)
		if !slices.Equal(ex.Accepts, []string{"22/tcp"}) {
			t.Errorf("from %s, %s accepts %v, want SSH only", source, h.Name, ex.Accepts)
		}
		for _, p := range ex.Ports {
			if p.Service == "sshd" && p.Auth != "publickey; PermitRootLogin prohibit-password" {
				t.Errorf("%s's sshd: %s", h.Name, p.Auth)
			}
		}
	}
}
