package state

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestWriteFileAtomicMode(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(p, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	b, _ := os.ReadFile(p)
	if st.Mode().Perm() != 0o600 || string(b) != "new" {
		t.Fatalf("mode %v content %q", st.Mode().Perm(), b)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(p), ".f.tmp-*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestLockExcludesSecondHolder(t *testing.T) {
	dir := t.TempDir()
	l, err := AcquireLock(dir, "tripod up")
	if err != nil {
		t.Fatal(err)
	}
	_, err = AcquireLock(dir, "tripod down")
	var le *LockedError
	if !errors.As(err, &le) || le.Owner.PID != os.Getpid() || le.Owner.Command != "tripod up" {
		t.Fatalf("second lock: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l2, err := AcquireLock(dir, "tripod down")
	if err != nil || l2.Recovered != nil {
		t.Fatalf("after release: %v, recovered %v", err, l2.Recovered)
	}
	l2.Release()
}

// TestLockOfKilledProcessIsRecovered kills a process holding the lock with
// SIGKILL and checks the next run takes it without help.
func TestLockOfKilledProcessIsRecovered(t *testing.T) {
	if os.Getenv("TRIPOD_LOCK_HOLDER") != "" {
		if _, err := AcquireLock(os.Getenv("TRIPOD_LOCK_HOLDER"), "tripod up"); err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString("locked\n")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockOfKilledProcessIsRecovered$")
	cmd.Env = append(os.Environ(), "TRIPOD_LOCK_HOLDER="+dir)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 7)
	if _, err := out.Read(buf); err != nil || string(buf) != "locked\n" {
		t.Fatalf("holder did not lock: %q %v", buf, err)
	}
	if _, err := AcquireLock(dir, "x"); !errors.Is(err, ErrLocked) {
		t.Fatalf("lock held by a live process was taken: %v", err)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	l, err := AcquireLock(dir, "tripod up")
	if err != nil {
		t.Fatalf("lock of a killed process not recovered: %v", err)
	}
	defer l.Release()
	if l.Recovered == nil || l.Recovered.PID != cmd.Process.Pid {
		t.Fatalf("recovered owner = %+v, want pid %d", l.Recovered, cmd.Process.Pid)
	}
}

func TestJournalResolvesIntents(t *testing.T) {
	p := filepath.Join(t.TempDir(), "journal.jsonl")
	j, err := OpenJournal(p, "run1")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := j.Intent("servers", "h1", "order", map[string]string{"offer": "STORE-9-M"})
	b, _ := j.Intent("servers", "h2", "order", nil)
	if err := j.Complete(a, map[string]string{"service_id": "42"}); err != nil {
		t.Fatal(err)
	}
	j.Close()

	j, err = OpenJournal(p, "run2")
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if u := j.Unresolved("servers", "h1", "order"); len(u) != 0 {
		t.Errorf("h1's order is answered, got unresolved %v", u)
	}
	if u := j.Unresolved("servers", "h2", "order"); len(u) != 1 || u[0].Seq != b.Seq {
		t.Errorf("h2's order is unresolved, got %v", u)
	}
	if r, ok := j.LastDone("servers", "h1", "order"); !ok || r.Data["service_id"] != "42" {
		t.Errorf("LastDone = %+v %v", r, ok)
	}
	c, _ := j.Intent("servers", "h3", "order", nil)
	if c.Seq != 4 || c.Run != "run2" {
		t.Errorf("sequence does not continue across runs: %+v", c)
	}
}

func TestJournalTornTailIsDropped(t *testing.T) {
	p := filepath.Join(t.TempDir(), "journal.jsonl")
	j, _ := OpenJournal(p, "r")
	j.Intent("servers", "h1", "order", nil)
	j.Close()
	f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"seq":2,"kind":"intent","stage":"ser`)
	f.Close()

	j, err := OpenJournal(p, "r2")
	if err != nil {
		t.Fatalf("a torn last line must not make the journal unreadable: %v", err)
	}
	if !j.TornTail || len(j.Records()) != 1 {
		t.Fatalf("torn %v records %d", j.TornTail, len(j.Records()))
	}
	if _, err := j.Intent("servers", "h2", "order", nil); err != nil {
		t.Fatal(err)
	}
	j.Close()
	j, err = OpenJournal(p, "r3")
	if err != nil || len(j.Records()) != 2 || j.TornTail {
		t.Fatalf("after append: %v, %d records, torn %v", err, len(j.Records()), j.TornTail)
	}
	j.Close()
}

func TestJournalCorruptionIsOneClearError(t *testing.T) {
	p := filepath.Join(t.TempDir(), "journal.jsonl")
	os.WriteFile(p, []byte("{\"seq\":1,\"kind\":\"intent\"}\ngarbage\n{\"seq\":3,\"kind\":\"done\"}\n"), 0o600)
	_, err := OpenJournal(p, "r")
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.Line != 2 || !strings.Contains(err.Error(), "move it aside") {
		t.Fatalf("got %v", err)
	}
}

func TestSecrets(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "secrets")
	s, err := NewSecrets(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("root-password"); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("missing secret: %v", err)
	}
	calls := 0
	gen := func() ([]byte, error) { calls++; return []byte("s3cret"), nil }
	a, _ := s.GetOrCreate("root-password", gen)
	b, _ := s.GetOrCreate("root-password", gen)
	if string(a) != "s3cret" || string(b) != "s3cret" || calls != 1 {
		t.Fatalf("generated %d times: %q %q", calls, a, b)
	}
	st, _ := os.Stat(filepath.Join(dir, "root-password"))
	dst, _ := os.Stat(dir)
	if st.Mode().Perm() != 0o600 || dst.Mode().Perm() != 0o700 {
		t.Fatalf("modes %v %v", st.Mode().Perm(), dst.Mode().Perm())
	}
	os.Chmod(filepath.Join(dir, "root-password"), 0o644)
	_, err = s.Get("root-password")
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable secret: %v", err)
	}
	if err := s.Put("../escape", []byte("x")); err == nil {
		t.Fatal("a secret name with a path was accepted")
	}
}

func TestOpenMustExist(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "nope"), Options{MustExist: true})
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("got %v", err)
	}
	d, err := Open(filepath.Join(t.TempDir(), "st"), Options{Command: "tripod up"})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(d.Path)
	if st.Mode().Perm() != 0o700 {
		t.Errorf("state dir mode %v", st.Mode().Perm())
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestOpenTightensLoosenedModes: a state directory left 0777 and a
// kubeconfig, talosconfig and machine config left readable by others are
// tightened by the next Open, each listed once with its old mode; the Open
// after that changes nothing. A symlink is not followed.
func TestOpenTightensLoosenedModes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "st")
	d, err := Open(path, Options{Command: "tripod up"})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	os.Mkdir(filepath.Join(path, "talos"), 0o700)
	outside := filepath.Join(t.TempDir(), "elsewhere.yaml")
	os.WriteFile(outside, nil, 0o644)
	os.Symlink(outside, filepath.Join(path, "talos", "linked.yaml"))
	files := map[string]os.FileMode{"kubeconfig": 0o666, "talosconfig": 0o640, "talos/lab-cp-1.yaml": 0o604, "journal.jsonl": 0o600}
	for rel, mode := range files {
		p := filepath.Join(path, rel)
		if rel != "journal.jsonl" {
			os.WriteFile(p, []byte("x"), 0o600)
		}
		os.Chmod(p, mode)
	}
	os.Chmod(path, 0o777)

	d, err = Open(path, Options{Command: "tripod status"})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	got := map[string]string{}
	for _, c := range d.Tightened {
		got[c.Path] = c.String()
	}
	want := map[string]string{
		path:                               path + " was mode 0777, open to other users; tightened it to 0700",
		filepath.Join(path, "kubeconfig"):  filepath.Join(path, "kubeconfig") + " was mode 0666, open to other users; tightened it to 0600",
		filepath.Join(path, "talosconfig"): filepath.Join(path, "talosconfig") + " was mode 0640, open to other users; tightened it to 0600",
		filepath.Join(path, "talos/lab-cp-1.yaml"): filepath.Join(path, "talos/lab-cp-1.yaml") + " was mode 0604, open to other users; tightened it to 0600",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tightened:\n got %v\nwant %v", got, want)
	}
	for rel, wantMode := range map[string]os.FileMode{".": 0o700, "kubeconfig": 0o600, "talosconfig": 0o600, "talos/lab-cp-1.yaml": 0o600} {
		if fi, _ := os.Stat(filepath.Join(path, rel)); fi.Mode().Perm() != wantMode {
			t.Errorf("%s is %04o after Open, want %04o", rel, fi.Mode().Perm(), wantMode)
		}
	}
	if fi, _ := os.Stat(outside); fi.Mode().Perm() != 0o644 {
		t.Errorf("a symlink's target outside the state directory was changed to %04o", fi.Mode().Perm())
	}
	d, err = Open(path, Options{Command: "tripod status"})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if len(d.Tightened) != 0 {
		t.Errorf("a second Open reported again: %v", d.Tightened)
	}
}

// TestSecretsGenerateIndependently: while one secret is being generated,
// another is created and read, and two callers of the same name generate
// it once (issue 17: the Talos bundle's generation held every host's root
// password behind one store-wide lock).
func TestSecretsGenerateIndependently(t *testing.T) {
	s, err := NewSecrets(filepath.Join(t.TempDir(), "secrets"), "")
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var calls atomic.Int32
	slow := func() ([]byte, error) { calls.Add(1); <-release; return []byte("bundle"), nil }
	done := make(chan error, 2)
	for range 2 {
		go func() {
			v, err := s.GetOrCreate("talos-bundle", slow)
			if err == nil && string(v) != "bundle" {
				err = fmt.Errorf("got %q", v)
			}
			done <- err
		}()
	}
	other := make(chan error, 1)
	go func() {
		_, err := s.GetOrCreate("root-password-a", func() ([]byte, error) { return []byte("pw"), nil })
		other <- err
	}()
	select {
	case err := <-other:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		close(release)
		t.Fatal("a secret waited for another one's generation")
	}
	close(release)
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("the bundle was generated %d times, want once", n)
	}
}
