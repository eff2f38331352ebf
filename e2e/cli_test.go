package e2e

import (
	"strings"
	"testing"
)

func TestValidateShippedInventories(t *testing.T) {
	for _, f := range []string{"lab", "prod-3az", "elastic-metal", "adopt"} {
		r := tripod(t, nil, "validate", "-i", "../inventories/"+f+".yaml")
		if r.code != 0 {
			t.Errorf("%s: exit %d\n%s", f, r.code, r.stderr)
		}
	}
	r := tripod(t, nil, "validate", "-i", "../internal/inventory/testdata/invalid-same-datacenter.yaml")
	if r.code != 1 || !strings.Contains(r.stderr, "azs[1].datacenter: Dedibox datacenter DC2 is already used by azs[0]") {
		t.Errorf("invalid: exit %d\n%s", r.code, r.stderr)
	}
}

func TestSimServeAnswersOnLoopbackOnly(t *testing.T) {
	sim := startSim(t, "--profile", "instant", "--time-scale", "1")
	for _, kv := range sim.env {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasSuffix(k, "_URL") || k == "TRIPOD_SIM" {
			if !strings.HasPrefix(v, "http://127.0.0.1:") {
				t.Errorf("%s=%s is not on loopback", k, v)
			}
		}
	}
	var nm struct {
		Entries []struct{ Address, Loopback string }
	}
	sim.getJSON("/netmap", &nm)
	for _, e := range nm.Entries {
		if !strings.HasPrefix(e.Loopback, "127.") {
			t.Errorf("%s is mapped to %s", e.Address, e.Loopback)
		}
	}
	if r := sim.requests(); r.Total != 0 {
		t.Errorf("a fresh simulator has served %d requests", r.Total)
	}
}
