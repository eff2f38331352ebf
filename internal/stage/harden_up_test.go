package stage

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/sim/proxmox"
)

// The sources the exposure tests look from: a stranger on the internet,
// the operator (the simulator's default source) and a host's VLAN address.
const (
	strangerSource = "192.0.2.50"
	operatorSource = proxmox.DefaultOperatorSource
	// neighbourSource is another customer's server in the lab hosts'
	// public /24 (the simulator gives Dedibox hosts 198.51.100.2 and up).
	neighbourSource = "198.51.100.250"
)

// exposureOf is what every host accepts from source, by host.
func exposureOf(t *testing.T, tw *testWorld, source string) map[string]proxmox.Exposure {
	t.Helper()
	out := map[string]proxmox.Exposure{}
	for _, h := range tw.Env.Layout().Hosts {
		ex, err := tw.World.Proxmox.Exposure(source, h.Name)
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = ex
	}
	return out
}

func sshAuth(ex proxmox.Exposure) string {
	for _, p := range ex.Ports {
		if p.Service == "sshd" {
			return p.Auth
		}
	}
	return ""
}

// checkPublicExposure: every host accepts exactly want from source, and
// its sshd takes keys only.
func checkPublicExposure(t *testing.T, tw *testWorld, source string, want ...string) {
	t.Helper()
	for host, ex := range exposureOf(t, tw, source) {
		if !slices.Equal(ex.Accepts, want) {
			t.Errorf("from %s, %s accepts %v, want %v", source, host, ex.Accepts, want)
		}
		if got := sshAuth(ex); got != "publickey; PermitRootLogin prohibit-password" {
			t.Errorf("%s's sshd: %s, want keys only", host, got)
		}
	}
}

// labWithSources is lab.yaml with access.allowedSources.
func labWithSources(t *testing.T, sources ...string) *inventory.Loaded {
	t.Helper()
	data, err := os.ReadFile("../../inventories/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data) + "access:\n  allowedSources: [" + strings.Join(sources, ", ") + "]\n"
	inv, err := inventory.LoadBytes("lab.yaml", []byte(text), "../../inventories")
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// TestHardenLab: after up, a stranger, the operator and a neighbour in the
// hosts' public /24 (PVE's local_network) reach SSH only,
// keys only; a host on the VLAN reaches corosync, Ceph and the rest; a
// second up changes nothing. Allowing the operator's range opens 8006 to
// it and closes SSH to the stranger, and nothing else changes; taking it
// away again closes 8006.
func TestHardenLab(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml")
	rep, err := tw.up(Harden)
	requireClean(t, rep, err)
	checkPublicExposure(t, tw, strangerSource, "22/tcp")
	checkPublicExposure(t, tw, operatorSource, "22/tcp")
	checkPublicExposure(t, tw, neighbourSource, "22/tcp")
	peerHost := tw.Env.Layout().Hosts[1]
	for host, ex := range exposureOf(t, tw, peerHost.PrivateAddress.String()) {
		if host == peerHost.Name {
			continue
		}
		for _, want := range []string{"22/tcp", "8006/tcp", "5405:5412/udp", "6800:7300/tcp"} {
			if !slices.Contains(ex.Accepts, want) {
				t.Errorf("%s does not accept %s from the VLAN: %v", host, want, ex.Accepts)
			}
		}
	}
	checkStatusExposure(t, tw, "SSH from anywhere, 8006 only through SSH")
	tw.Converged(t, "second up", func() *run.Report {
		rep, err := tw.Run(Harden)
		requireClean(t, rep, err)
		return rep
	})

	tw.Env = newEnvFor(t, tw, labWithSources(t, "203.0.113.0/24"))
	rep, err = tw.up(Harden)
	requireClean(t, rep, err)
	for _, s := range rep.Steps {
		if len(s.Mutations) > 0 && s.Key.Stage != Harden {
			t.Errorf("allowing a source changed %s: %v", s.Key, s.Mutations)
		}
	}
	checkPublicExposure(t, tw, operatorSource, "22/tcp", "8006/tcp")
	checkPublicExposure(t, tw, strangerSource)
	checkPublicExposure(t, tw, neighbourSource)
	checkStatusExposure(t, tw, "SSH from 203.0.113.0/24, 8006 from 203.0.113.0/24")

	tw.Env = newEnvFor(t, tw, tw.Inv)
	rep, err = tw.up(Harden)
	requireClean(t, rep, err)
	checkPublicExposure(t, tw, operatorSource, "22/tcp")
	checkPublicExposure(t, tw, strangerSource, "22/tcp")
}

// newEnvFor is a new tripod process on tw's state and world with inv.
func newEnvFor(t *testing.T, tw *testWorld, inv *inventory.Loaded) *Env {
	return seededEnv(t, Deps{Inventory: inv, State: tw.State, Timing: tw.Timing, Dialer: tw.Dialer, Scaleway: tw.Scaleway})
}

// checkStatusExposure: a dry run (what tripod status runs) observes every
// host's sshd as keys only and the firewall as public.
func checkStatusExposure(t *testing.T, tw *testWorld, public string) {
	t.Helper()
	e := tw.fresh()
	r := run.Runner{Stages: List(e), Until: Harden, Pools: Pools, DryRun: true, Facts: &run.Facts{}}
	rep, err := r.Run(context.Background())
	requireClean(t, rep, err)
	x, ok := ExposureOf(r.Facts, e)
	if !ok || len(x) != len(e.Layout().Hosts) {
		t.Fatalf("status observed no exposure: %+v", x)
	}
	for _, h := range x {
		if h.SSH != "keys only" || !strings.HasPrefix(h.Public, public) {
			t.Errorf("status: %+v, want SSH keys only and %s", h, public)
		}
	}
}
