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

// TestLayersImportOnlyDownward holds the layering docs/architecture.md
// describes: the client layers (scaleway, proxmox, talos) and the plumbing
// under them never reach back up into the orchestration (stage), the
// runner (run) or the command line (cli). A helper that needs a step's
// progress takes a callback instead.
func TestLayersImportOnlyDownward(t *testing.T) {
	const mod = "github.com/tripod-dev/tripod/"
	below := []string{"internal/scaleway", "internal/proxmox", "internal/talos", "internal/netx", "internal/retry", "internal/state", "internal/inventory", "internal/crashpoint"}
	above := []string{"internal/stage", "internal/run", "internal/cli", "internal/simtest"}
	for _, p := range below {
		out, err := exec.Command("go", "list", "-deps", mod+p).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", p, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, a := range above {
				if dep == mod+a {
					t.Errorf("%s imports %s, a layer above it", p, a)
				}
			}
		}
	}
}
