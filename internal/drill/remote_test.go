package drill

import (
	"context"
	"testing"
	"time"

	"github.com/tripod-dev/tripod/internal/netx"
	"github.com/tripod-dev/tripod/internal/s3test"
	"github.com/tripod-dev/tripod/internal/state/s3state"
)

// An uploaded backup lists complete only once its manifest is there.
func TestUploadedBackupIsCompleteWithItsManifest(t *testing.T) {
	srv, env := s3test.ForTest(t, "bkt")
	s3test.Setenv(t, env)
	ctx := context.Background()
	objs, err := s3state.OpenObjects(ctx, "s3://bkt/backups?endpoint="+srv.URL, netx.Loopback())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC)
	w, _ := NewWriter(t.TempDir(), now)
	w.Add("talos/a.yaml", []byte("config"), false)
	w.Add("etcd.snapshot", make([]byte, 544), false)
	m := Manifest{Cluster: "lab", Created: now}
	dir, err := w.Commit(&m)
	if err != nil {
		t.Fatal(err)
	}
	if err := Upload(ctx, objs, dir, w.Name(), &m); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"talos/a.yaml", "etcd.snapshot", ManifestFile} {
		if n := srv.Count("PUT", "/bkt/backups/"+w.Name()+"/"+f); n != 1 {
			t.Errorf("PUT %s: %d times, want 1", f, n)
		}
	}
	list, err := ListRemote(ctx, objs)
	if err != nil || len(list) != 1 || !list[0].Complete {
		t.Fatalf("ListRemote = %+v, %v; want one complete backup", list, err)
	}
}
