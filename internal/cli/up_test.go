package cli

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// TestUpUntilSaysWhereItStopped: up --until os must not call the cluster
// ready; it says it stopped there as asked, in text and in JSON. Off a
// terminal the text is plain: one line per event, each led by its UTC time
// to the second, and not one control character but the newlines.
func TestUpUntilSaysWhereItStopped(t *testing.T) {
	startWorld(t)
	dir := t.TempDir()
	code, out, errs := runCLI(t, "up", "-i", labInventory, "--state-dir", dir, "--until", "os")
	if code != 0 {
		t.Fatalf("up --until os: exit %d\n%s", code, errs)
	}
	if i := strings.IndexFunc(out, func(r rune) bool { return r != '\n' && unicode.IsControl(r) }); i >= 0 {
		t.Errorf("plain output has control character %q at byte %d:\n%s", out[i], i, out)
	}
	events, _, _ := strings.Cut(out, "\n\n") // the summary follows a blank line
	eventLine := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \S+ (preflight|servers|os)/\S+: \S`)
	lines := strings.Split(events, "\n")
	for _, l := range lines {
		if !eventLine.MatchString(l) {
			t.Errorf("not a timestamped event line: %q", l)
		}
	}
	if len(lines) < 9 { // at least a line for each of the 9 steps' ends
		t.Errorf("%d event lines:\n%s", len(lines), events)
	}
	if strings.Contains(out, "cluster lab is ready") || !strings.Contains(out, "cluster lab stopped after os as asked (--until os); the cluster is not ready yet") {
		t.Errorf("up --until os summary:\n%s", out)
	}
	code, out, errs = runCLI(t, "up", "-i", labInventory, "--state-dir", dir, "--until", "os", "-o", "json")
	lines = strings.Split(strings.TrimSpace(out), "\n")
	var sum map[string]any
	if code != 0 || json.Unmarshal([]byte(lines[len(lines)-1]), &sum) != nil {
		t.Fatalf("up --until os -o json: exit %d\n%s\n%s", code, out, errs)
	}
	inner, _ := sum["summary"].(map[string]any)
	if sum["kind"] != "run-end" || sum["outcome"] != "stopped" || inner["ready"] != false || inner["stoppedAfter"] != "os" {
		t.Errorf("run-end: kind %v outcome %v ready %v stoppedAfter %v, want run-end, stopped, false and os", sum["kind"], sum["outcome"], inner["ready"], inner["stoppedAfter"])
	}
}
