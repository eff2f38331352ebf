package s3state

import (
	"net/http"
	"testing"
	"time"
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
