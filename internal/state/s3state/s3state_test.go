package s3state

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tripod-dev/tripod/internal/netx"
	"github.com/tripod-dev/tripod/internal/s3test"
	"github.com/tripod-dev/tripod/internal/state"
)

const bucketName = "tripod-state"

// startS3 serves a real S3 server on loopback and points the AWS_* keys
// and an age identity at it.
func startS3(t testing.TB) (*s3test.Server, string) {
	t.Helper()
	srv, env := s3test.ForTest(t, bucketName)
	s3test.Setenv(t, env)
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	return srv, "s3://" + bucketName + "/labs/lab?endpoint=" + srv.URL + "&region=" + s3test.Region
}

func open(t testing.TB, url, command string) *state.Dir {
	t.Helper()
	d, err := Open(context.Background(), url, netx.Loopback(), state.Options{Command: command, SecretFiles: []string{"talos/*.yaml"}})
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	return d
}

func TestStateTravelsThroughTheBucketSealed(t *testing.T) {
	srv, url := startS3(t)
	d := open(t, url, "tripod up")
	in, err := d.Journal.Intent("servers", "h1", "order", map[string]string{"offer": "EM-A"})
	if err != nil {
		t.Fatal(err)
	}
	// The intent is in the bucket when Intent returns: before the paid call.
	if n := srv.Count("PUT", "/"+bucketName+"/labs/lab/journal/000000000001.json"); n != 1 {
		t.Fatalf("the intent was put %d times when Intent returned, want 1", n)
	}
	if err := d.Journal.Complete(in, map[string]string{"id": "srv-1"}); err != nil {
		t.Fatal(err)
	}
	if err := d.Secrets.Put("root-password", []byte("hunter2-very-secret")); err != nil {
		t.Fatal(err)
	}
	// A secret is in the bucket as soon as it is stored, not at Close.
	if n := srv.Count("PUT", "/"+bucketName+"/labs/lab/files/secrets/root-password"); n != 1 {
		t.Errorf("the secret was put %d times before Close, want 1", n)
	}
	if err := d.WriteSecretFile("talos/cp-1.yaml", []byte("machine: secret-ca-key")); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteFile("pins/h1.pem", []byte("pin"), 0o600); err != nil {
		t.Fatal(err)
	}
	id := d.ID
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	// Nothing secret is in the bucket in clear.
	b, _ := openBucket(context.Background(), url, netx.Loopback())
	keys, err := b.list(context.Background(), "labs/lab/")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		data, _, err := b.get(context.Background(), k)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), "hunter2") || strings.Contains(string(data), "secret-ca-key") {
			t.Errorf("%s holds a secret in clear", k)
		}
		if k == "labs/lab/lock.json" && !strings.Contains(string(data), `"released":true`) {
			t.Errorf("the lock is still held after Close: %s", data)
		}
	}
	// A second machine, from the bucket alone.
	d2 := open(t, url, "tripod status")
	defer d2.Close()
	if d2.ID != id {
		t.Errorf("state ID %q, want %q", d2.ID, id)
	}
	if r, ok := d2.Journal.LastDone("servers", "h1", "order"); !ok || r.Data["id"] != "srv-1" {
		t.Errorf("journal lost its record: %+v %v", r, ok)
	}
	if got, err := d2.Secrets.Get("root-password"); err != nil || string(got) != "hunter2-very-secret" {
		t.Errorf("secret = %q, %v", got, err)
	}
	if got, err := d2.ReadSecretFile("talos/cp-1.yaml"); err != nil || string(got) != "machine: secret-ca-key" {
		t.Errorf("sealed file = %q, %v", got, err)
	}
	if n := srv.Count("PUT", "/"+bucketName+"/labs/lab/journal/000000000001.json"); n != 1 {
		t.Errorf("record 1 was put %d times, want 1", n)
	}
}

func TestMustExistRefusesAnEmptyPrefix(t *testing.T) {
	_, url := startS3(t)
	_, err := Open(context.Background(), url, netx.Loopback(), state.Options{Command: "tripod status", MustExist: true})
	if err == nil || !strings.Contains(err.Error(), "holds no state") {
		t.Fatalf("err = %v", err)
	}
}

// openRace opens url as n runs at once, and returns what each got.
func openRace(url string, n int) ([]*state.Dir, []error) {
	var wg sync.WaitGroup
	dirs := make([]*state.Dir, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dirs[i], errs[i] = Open(context.Background(), url, netx.Loopback(), state.Options{Command: "tripod up"})
		}()
	}
	wg.Wait()
	return dirs, errs
}

func TestConcurrentOpensOneWins(t *testing.T) {
	_, url := startS3(t)
	const n = 6
	dirs, errs := openRace(url, n)
	won := 0
	for i := range n {
		var le *LockedError
		switch {
		case errs[i] == nil:
			won++
			defer dirs[i].Close()
		case errors.As(errs[i], &le):
			if le.Holder.Command != "tripod up" || le.Holder.PID == 0 || !strings.Contains(le.Error(), "since") {
				t.Errorf("locked error does not name the holder: %v", le)
			}
		default:
			t.Errorf("open %d: %v", i, errs[i])
		}
	}
	if won != 1 {
		t.Fatalf("%d runs hold the lock, want exactly 1", won)
	}
}

// kill stops a holder's renewal without releasing, as SIGKILL does.
func kill(d *state.Dir) { l := d.Backend.(*store).lock; close(l.stop); <-l.done }

func TestLapsedLeaseIsTakenOverByOneRacer(t *testing.T) {
	_, url := startS3(t)
	url += "&lease=1s"
	dead := open(t, url, "tripod up")
	kill(dead)
	if _, err := Open(context.Background(), url, netx.Loopback(), state.Options{Command: "tripod up"}); !errors.As(err, new(*LockedError)) {
		t.Fatalf("a live lease was not respected: %v", err)
	}
	time.Sleep(1200 * time.Millisecond)
	const n = 5
	dirs, errs := openRace(url, n)
	won := 0
	for i := range n {
		if errs[i] == nil {
			won++
			if dirs[i].Backend.(*store).lock.tookOver == nil {
				t.Errorf("the winner does not know it took over")
			}
			defer dirs[i].Close()
		} else if !errors.As(errs[i], new(*LockedError)) {
			t.Errorf("open %d: %v", i, errs[i])
		}
	}
	if won != 1 {
		t.Fatalf("%d racers took over the lapsed lock, want exactly 1", won)
	}
	// The dead holder, were it to wake, writes nothing more.
	if _, err := dead.Journal.Intent("servers", "h1", "order", nil); !errors.Is(err, ErrLockLost) {
		t.Errorf("a holder whose lock was taken over still wrote: %v", err)
	}
}

func TestLiveLeaseIsRenewed(t *testing.T) {
	_, url := startS3(t)
	d := open(t, url+"&lease=1s", "tripod up")
	defer d.Close()
	time.Sleep(2500 * time.Millisecond)
	if _, err := Open(context.Background(), url, netx.Loopback(), state.Options{Command: "tripod up"}); !errors.As(err, new(*LockedError)) {
		t.Fatalf("a renewed lease was taken: %v", err)
	}
	if _, err := d.Journal.Intent("servers", "h1", "order", nil); err != nil {
		t.Fatalf("the holder lost its lock: %v", err)
	}
}

func TestForceUnlockSaysWhatAndStopsTheHolder(t *testing.T) {
	_, url := startS3(t)
	d := open(t, url, "tripod up")
	id := d.Backend.(*store).lock.holder.ID
	if err := ForceUnlock(context.Background(), url, netx.Loopback(), "nope", func(string) {}); err == nil || !strings.Contains(err.Error(), "nothing was removed") {
		t.Fatalf("a wrong ID unlocked: %v", err)
	}
	var said string
	if err := ForceUnlock(context.Background(), url, netx.Loopback(), id, func(s string) { said = s }); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(said, id) || !strings.Contains(said, "tripod up") {
		t.Errorf("unlock said %q", said)
	}
	d2 := open(t, url, "tripod up")
	defer d2.Close()
	kill(d) // its renewal would find the lock taken; the write below does too
	d.Backend.(*store).lock.renew()
	if _, err := d.Journal.Intent("servers", "h1", "order", nil); !errors.Is(err, ErrLockLost) {
		t.Errorf("the unlocked holder still wrote: %v", err)
	}
}

func TestBucketFailingForAWhileLosesNothing(t *testing.T) {
	srv, url := startS3(t)
	d := open(t, url, "tripod up")
	srv.FailNext(3, 503)
	if _, err := d.Journal.Intent("servers", "h1", "order", nil); err != nil {
		t.Fatalf("an intent did not survive three 503s: %v", err)
	}
	srv.FailNext(3, 500)
	if err := d.Secrets.Put("token", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("close did not survive three 500s: %v", err)
	}
	if srv.Failed.Load() != 6 {
		t.Fatalf("%d faults answered, want 6", srv.Failed.Load())
	}
	d2 := open(t, url, "tripod status")
	defer d2.Close()
	if len(d2.Journal.Unresolved("servers", "h1", "order")) != 1 {
		t.Errorf("the intent was lost")
	}
	if _, err := d2.Secrets.Get("token"); err != nil {
		t.Errorf("the secret was lost: %v", err)
	}
}

func TestWrongCredentialsIsOneSentence(t *testing.T) {
	for _, tc := range []struct{ env, value, code string }{
		{"AWS_ACCESS_KEY_ID", "WRONGKEY", "InvalidAccessKeyId"},
		{"AWS_SECRET_ACCESS_KEY", "wrong-secret", "SignatureDoesNotMatch"},
	} {
		t.Run(tc.code, func(t *testing.T) {
			srv, url := startS3(t)
			t.Setenv(tc.env, tc.value)
			_, err := Open(context.Background(), url, netx.Loopback(), state.Options{Command: "tripod up"})
			var ce *CredentialsError
			if !errors.As(err, &ce) || ce.Code != tc.code {
				t.Fatalf("err = %v", err)
			}
			want := "the bucket of s3://tripod-state/labs/lab at " + strings.TrimPrefix(srv.URL, "http://") + " refused the credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (" + tc.code + "): check those keys and that they may use this bucket; nothing was changed"
			if err.Error() != want {
				t.Errorf("err = %q, want %q", err, want)
			}
		})
	}
}

func TestNoIdentityRefusesRemoteState(t *testing.T) {
	_, url := startS3(t)
	id := os.Getenv(state.EnvAgeIdentity)
	t.Setenv(state.EnvAgeIdentity, "")
	_, err := Open(context.Background(), url, netx.Loopback(), state.Options{Command: "tripod up"})
	if err == nil || !strings.Contains(err.Error(), "keeps its secrets sealed with age") {
		t.Fatalf("err = %v", err)
	}
	// And the lock it took is gone.
	t.Setenv(state.EnvAgeIdentity, id)
	d := open(t, url, "tripod up")
	d.Close()
}

// BenchmarkIntentRoundTrip measures one journal intent made durable in the
// bucket (loopback S3 server): what each paid call costs beforehand.
func BenchmarkIntentRoundTrip(b *testing.B) {
	_, url := startS3(b)
	d := open(b, url, "bench")
	defer d.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := d.Journal.Intent("servers", "h1", "order", map[string]string{"n": "x"}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestForceUnlockNeverRemovesAnotherRunsLock: between tripod unlock's read
// of the lock and its removal, the holder ends and a new run takes the
// lock; the unlock must leave the new run's lock in place.
func TestForceUnlockNeverRemovesAnotherRunsLock(t *testing.T) {
	_, url := startS3(t)
	d := open(t, url, "tripod up")
	id := d.Backend.(*store).lock.holder.ID
	var d2 *state.Dir
	err := ForceUnlock(context.Background(), url, netx.Loopback(), id, func(string) {
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		d2 = open(t, url, "tripod plan")
	})
	if err == nil || !strings.Contains(err.Error(), "nothing was removed") {
		t.Errorf("unlock of a lock that changed meanwhile: %v", err)
	}
	defer d2.Close()
	if _, err := Open(context.Background(), url, netx.Loopback(), state.Options{Command: "tripod up"}); !errors.As(err, new(*LockedError)) {
		t.Fatalf("a third run opened while the second holds the lock: %v", err)
	}
	if _, err := d2.Journal.Intent("servers", "h1", "order", nil); err != nil {
		t.Errorf("the second run lost its lock to the unlock: %v", err)
	}
}

// TestJournalStrangerIsRefused: the journal is read back record by record,
// each checked against its key; a record missing from the middle, or one
// that is not what its key says, is refused with what to do, rather than
// resumed from as if the records after it never were.
func TestJournalStrangerIsRefused(t *testing.T) {
	_, url := startS3(t)
	d := open(t, url, "tripod up")
	for range 3 {
		if _, err := d.Journal.Intent("servers", "h1", "order", nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := openBucket(context.Background(), url, netx.Loopback())
	if err := b.remove(context.Background(), "labs/lab/journal/000000000002.json"); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), url, netx.Loopback(), state.Options{Command: "tripod up"})
	if err == nil || !strings.Contains(err.Error(), "journal record labs/lab/journal/000000000003.json of s3://tripod-state/labs/lab is not record 2") {
		t.Fatalf("a journal with a gap: %v", err)
	}
	// And the refused open left the lock free.
	if _, err := b.put(context.Background(), "labs/lab/journal/000000000002.json", []byte(`{"seq":7}`), condAny, ""); err != nil {
		t.Fatal(err)
	}
	_, err = Open(context.Background(), url, netx.Loopback(), state.Options{Command: "tripod up"})
	if err == nil || !strings.Contains(err.Error(), "is not record 2") {
		t.Fatalf("a journal record under the wrong key: %v", err)
	}
}
