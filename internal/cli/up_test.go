package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestUpUntilSaysWhereItStopped: up --until os must not call the cluster
// ready; it says it stopped there as asked, in text and in JSON.
func TestUpUntilSaysWhereItStopped(t *testing.T) {
	startWorld(t)
	dir := t.TempDir()
	code, out, errs := runCLI(t, "up", "-i", labInventory, "--state-dir", dir, "--until", "os")
	if code != 0 {
		t.Fatalf("up --until os: exit %d\n%s", code, errs)
	}
	if strings.Contains(out, "cluster lab is ready") || !strings.Contains(out, "cluster lab stopped after os as asked (--until os); the cluster is not ready yet") {
		t.Errorf("up --until os summary:\n%s", out)
	}
	code, out, errs = runCLI(t, "up", "-i", labInventory, "--state-dir", dir, "--until", "os", "-o", "json")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var sum map[string]any
	if code != 0 || json.Unmarshal([]byte(lines[len(lines)-1]), &sum) != nil {
		t.Fatalf("up --until os -o json: exit %d\n%s\n%s", code, out, errs)
	}
	inner, _ := sum["summary"].(map[string]any)
	if sum["kind"] != "run-end" || sum["outcome"] != "stopped" || inner["ready"] != false || inner["stoppedAfter"] != "os" {
		t.Errorf("run-end: kind %v outcome %v ready %v stoppedAfter %v, want run-end, stopped, false and os", sum["kind"], sum["outcome"], inner["ready"], inner["stoppedAfter"])
	}
}
