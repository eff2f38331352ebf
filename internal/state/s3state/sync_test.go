package s3state

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tripod-dev/tripod/internal/netx"
)

// A Sync (one before every journal record, one after every write) stores
// only what changed: a file whose stat is as it was is not read or sent
// again, and a file replaced since, even with the same size, is.
func TestSyncSendsOnlyWhatChanged(t *testing.T) {
	srv, url := startS3(t)
	d := open(t, url, "tripod up")
	defer d.Close()
	path := "/" + bucketName + "/labs/lab/" + filesDir + "pins/host-1"
	if err := d.WriteFile("pins/host-1", []byte("AA:BB\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if n := srv.Count(http.MethodPut, path); n != 1 {
		t.Fatalf("the pin was stored %d times, want 1", n)
	}
	time.Sleep(2 * racyWindow) // past the window in which a stat is not trusted
	for range 3 {
		if err := d.WriteFile("other", []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.Count(http.MethodPut, path); n != 1 {
		t.Fatalf("an unchanged pin was stored again: %d puts", n)
	}
	if err := d.WriteFile("pins/host-1", []byte("CC:DD\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if n := srv.Count(http.MethodPut, path); n != 2 {
		t.Fatalf("a replaced pin of the same size was stored %d times, want 2", n)
	}
}

// A backup written into a remote state's working copy never reaches the
// bucket: its etcd snapshot holds Kubernetes Secrets in clear.
func TestBackupsStayOutOfTheBucket(t *testing.T) {
	srv, url := startS3(t)
	d := open(t, url, "tripod backup")
	if err := d.WriteFile("backups/20261202T052036Z/etcd.snapshot", []byte("kind: Secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteFile("pins/host-1", []byte("AA:BB\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := openBucket(context.Background(), url, netx.Loopback())
	keys, err := b.list(context.Background(), "labs/lab/"+filesDir)
	if err != nil {
		t.Fatal(err)
	}
	pin := false
	for _, k := range keys {
		pin = pin || k == "labs/lab/files/pins/host-1"
		if strings.Contains(k, "backups/") {
			t.Errorf("%s is in the bucket", k)
		}
	}
	if !pin || srv.Count(http.MethodPut, "/"+bucketName+"/labs/lab/files/backups/20261202T052036Z/etcd.snapshot") != 0 {
		t.Errorf("stored %v, want the pin and no backup", keys)
	}
}
