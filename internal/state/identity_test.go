package state

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStateIDIsMadeOnceAndKept: a directory's ID is created at its first
// Open (0600), the same at every later Open, and differs between two
// directories; a damaged ID file is one clear error, not a new identity.
func TestStateIDIsMadeOnceAndKept(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a")
	open := func(p string) (*Dir, error) { return Open(p, Options{Command: "test"}) }
	d, err := open(dir)
	if err != nil {
		t.Fatal(err)
	}
	first := d.ID
	d.Close()
	if !validID(first) {
		t.Fatalf("ID %q is not %d lower-case hex digits", first, idLen)
	}
	fi, err := os.Stat(filepath.Join(dir, idFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state-id: %v, mode %v, want 0600", err, fi)
	}
	d, err = open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != first {
		t.Errorf("second Open: ID %q, want %q", d.ID, first)
	}
	d.Close()
	other, err := open(filepath.Join(t.TempDir(), "b"))
	if err != nil {
		t.Fatal(err)
	}
	if other.ID == first {
		t.Errorf("two directories share ID %q", first)
	}
	other.Close()

	if err := os.WriteFile(filepath.Join(dir, idFile), []byte("not-an-id\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := open(dir); err == nil || !strings.Contains(err.Error(), "is not a state ID") {
		t.Fatalf("a damaged state-id: %v, want one clear error", err)
	}
}
