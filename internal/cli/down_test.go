package cli

import (
	"strings"
	"testing"
)

// TestDownDryRunNeedsNoConfirm: a dry run deletes nothing, so it must not
// demand --confirm; a real down still does.
func TestDownDryRunNeedsNoConfirm(t *testing.T) {
	startWorld(t)
	dir := t.TempDir()
	if code, _, errs := runCLI(t, "up", "-i", labInventory, "--state-dir", dir, "--until", "servers"); code != 0 {
		t.Fatalf("up --until servers: exit %d\n%s", code, errs)
	}
	code, out, errs := runCLI(t, "down", "-i", labInventory, "--state-dir", dir, "--dry-run", "--release-servers")
	if code != 0 || !strings.Contains(out, "would delete") {
		t.Fatalf("down --dry-run without --confirm: exit %d\n%s\n%s", code, out, errs)
	}
	code, _, errs = runCLI(t, "down", "-i", labInventory, "--state-dir", dir, "--release-servers")
	if code != 1 || !strings.Contains(errs, "pass --confirm lab to destroy cluster \"lab\"") {
		t.Fatalf("down without --confirm: exit %d\n%s", code, errs)
	}
}
