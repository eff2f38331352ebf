package s3state

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/netx"
	"github.com/tripod-dev/tripod/internal/state"
)

// TestPushPullMigrate: a local state, its store in clear, goes to the
// bucket sealed with its journal record by record; a second push is
// refused; a pull brings it back whole; migrate retires the local copy.
func TestPushPullMigrate(t *testing.T) {
	_, url := startS3(t)
	local := filepath.Join(t.TempDir(), "lab")
	d, err := state.Open(local, state.Options{Command: "tripod up"})
	if err != nil {
		t.Fatal(err)
	}
	in, _ := d.Journal.Intent("servers", "h1", "order", nil)
	d.Journal.Complete(in, map[string]string{"id": "srv-1"})
	d.Secrets.Put("root-password", []byte("hunter2"))
	id := d.ID
	d.Close()

	opts := state.Options{Command: "tripod state push"}
	if err := Push(context.Background(), url, netx.Loopback(), local, opts); err != nil {
		t.Fatal(err)
	}
	if err := Push(context.Background(), url, netx.Loopback(), local, opts); err == nil || !strings.Contains(err.Error(), "holds a state already") {
		t.Fatalf("a second push: %v", err)
	}
	r := open(t, url, "tripod status")
	if r.ID != id || len(r.Journal.Records()) != 2 || !r.Secrets.Encrypted() {
		t.Errorf("pushed state: id %s (want %s), %d records, encrypted %v", r.ID, id, len(r.Journal.Records()), r.Secrets.Encrypted())
	}
	if got, err := r.Secrets.Get("root-password"); err != nil || string(got) != "hunter2" {
		t.Errorf("pushed secret: %q %v", got, err)
	}
	r.Close()

	to := filepath.Join(t.TempDir(), "copy")
	if err := Pull(context.Background(), url, netx.Loopback(), to, "tripod state pull"); err != nil {
		t.Fatal(err)
	}
	p, err := state.Open(to, state.Options{Command: "test", MustExist: true})
	if err != nil {
		t.Fatal(err)
	}
	if rec, ok := p.Journal.LastDone("servers", "h1", "order"); !ok || rec.Data["id"] != "srv-1" || p.ID != id {
		t.Errorf("pulled journal lost its record")
	}
	p.Close()
	if err := Pull(context.Background(), url, netx.Loopback(), to, "tripod state pull"); err == nil || !strings.Contains(err.Error(), "is not empty") {
		t.Errorf("a pull over a directory: %v", err)
	}

	ident := os.Getenv(state.EnvAgeIdentity) // the local store is sealed to it now
	_, url2 := startS3(t)
	t.Setenv(state.EnvAgeIdentity, ident)
	moved, err := Migrate(context.Background(), url2, netx.Loopback(), local, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(local); !os.IsNotExist(err) || moved != local+".migrated" {
		t.Errorf("migrate left %s in place (moved to %q)", local, moved)
	}
}
