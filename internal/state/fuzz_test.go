package state

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzJournal feeds arbitrary bytes as a journal: opening it must either
// succeed (dropping at most a torn last line) or fail with CorruptError,
// never panic, and a journal that opened must accept a new record.
func FuzzJournal(f *testing.F) {
	f.Add([]byte(`{"seq":1,"kind":"intent","stage":"servers","target":"h1","action":"order"}` + "\n"))
	f.Add([]byte(`{"seq":1,"kind":"intent"}` + "\n" + `{"seq":2,"kind":"done","ref":1}`))
	f.Add([]byte("garbage\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "journal.jsonl")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		j, err := OpenJournal(p, "fuzz")
		if err != nil {
			var ce *CorruptError
			if !errors.As(err, &ce) {
				t.Fatalf("not a CorruptError: %T %v", err, err)
			}
			return
		}
		defer j.Close()
		n := len(j.Records())
		if _, err := j.Intent("s", "t", "a", nil); err != nil {
			t.Fatal(err)
		}
		j.Close()
		j2, err := OpenJournal(p, "fuzz2")
		if err != nil {
			t.Fatalf("journal unreadable after append: %v", err)
		}
		defer j2.Close()
		if len(j2.Records()) != n+1 {
			t.Fatalf("records %d, want %d", len(j2.Records()), n+1)
		}
	})
}
