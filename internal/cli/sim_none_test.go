//go:build nosim

package cli

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoSimBuildSaysSo: in a build without the simulator, --sim and sim
// serve fail with the one sentence that says how to get it back, before
// anything is written.
func TestNoSimBuildSaysSo(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"up", "--sim", "-i", "../../inventories/lab.yaml", "--state-dir", filepath.Join(dir, "state")},
		{"sim", "serve", "--env-file", filepath.Join(dir, "env")},
	} {
		code, _, stderr := runCLI(t, args...)
		if code != 1 || !strings.Contains(stderr, "this build has no simulator; build without -tags nosim") {
			t.Errorf("tripod %s: exit %d, %q", strings.Join(args, " "), code, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "state")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("up --sim made its state directory before refusing: %v", err)
	}
}
