package state

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestJournalCrashPoints proves the hook Open is given reaches the journal,
// and that "after-intent" fires only once the intent is on disk (a kill
// there must leave an intent to look for) and "before-record" before the
// answer is.
func TestJournalCrashPoints(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	var points []string
	// Each point is listed with the record kinds on disk when it fired.
	hook := func(p string) {
		b, err := os.ReadFile(filepath.Join(path, "journal.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, k := range []RecordKind{Intent, Done} {
			if strings.Contains(string(b), `"kind":"`+string(k)+`"`) {
				kinds = append(kinds, string(k))
			}
		}
		points = append(points, p+": "+strings.Join(kinds, ","))
	}
	d, err := Open(path, Options{Command: "test", Crash: hook})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	r, err := d.Journal.Intent("servers", "h1", "order", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Journal.Complete(r, nil); err != nil {
		t.Fatal(err)
	}
	want := []string{"after-intent order: intent", "before-record order: intent"}
	if !slices.Equal(points, want) {
		t.Fatalf("crash points %q, want %q", points, want)
	}
}
