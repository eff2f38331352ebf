package stage

import (
	"os/exec"
	"strings"
	"testing"
)

// TestStagesDoNotImportTheSimulator keeps the boundary the design asks for:
// stages and client layers meet the simulator only on the wire, so a wrong
// assumption on one side cannot hide behind shared code.
func TestStagesDoNotImportTheSimulator(t *testing.T) {
	pkgs := []string{"internal/stage", "internal/netx", "internal/run", "internal/retry", "internal/state", "internal/inventory"}
	for _, extra := range []string{"internal/scaleway", "internal/proxmox", "internal/talos"} {
		if _, err := exec.Command("go", "list", "github.com/tripod-dev/tripod/"+extra).Output(); err == nil {
			pkgs = append(pkgs, extra)
		}
	}
	for _, p := range pkgs {
		out, err := exec.Command("go", "list", "-deps", "github.com/tripod-dev/tripod/"+p).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", p, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasPrefix(dep, "github.com/tripod-dev/tripod/internal/sim") {
				t.Errorf("%s imports the simulator (%s)", p, dep)
			}
		}
	}
}
