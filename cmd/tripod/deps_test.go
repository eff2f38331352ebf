package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestSlimBuildLinksNoSimulator: `-tags nosim` (make slim) leaves the
// simulator and its etcd server out of the binary, while the default build
// keeps them (tripod up --sim is the README's first command).
func TestSlimBuildLinksNoSimulator(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the build's packages:", err)
	}
	deps := func(args ...string) []string {
		t.Helper()
		out, err := exec.Command(gobin, append([]string{"list", "-deps"}, append(args, ".")...)...).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", strings.Join(args, " "), err)
		}
		return strings.Fields(string(out))
	}
	const etcdServer, simulator = "go.etcd.io/etcd/server/", "github.com/tripod-dev/tripod/internal/sim"
	has := func(pkgs []string, prefix string) bool {
		for _, p := range pkgs {
			if strings.HasPrefix(p, prefix) {
				return true
			}
		}
		return false
	}
	full := deps()
	if !has(full, etcdServer) || !has(full, simulator) {
		t.Fatalf("the default build links no simulator or etcd server: it must keep tripod up --sim")
	}
	for _, p := range deps("-tags", "nosim") {
		if strings.HasPrefix(p, etcdServer) || p == simulator || strings.HasPrefix(p, simulator+"/") {
			t.Errorf("the nosim build links %s", p)
		}
	}
}
