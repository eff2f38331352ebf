package cli

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/drill"
	"github.com/tripod-dev/tripod/internal/netx"
	"github.com/tripod-dev/tripod/internal/s3test"
	"github.com/tripod-dev/tripod/internal/state"
	"github.com/tripod-dev/tripod/internal/state/s3state"
)

// remoteState serves a real S3 server on loopback and sets the keys and
// an age identity for it, as a CI job does.
func remoteState(t *testing.T) (*s3test.Server, string) {
	t.Helper()
	srv, env := s3test.ForTest(t, "tripod-state")
	s3test.Setenv(t, env)
	t.Setenv("SCW_CONFIG_PATH", filepath.Join(t.TempDir(), "no-scw-config.yaml"))
	return srv, "s3://tripod-state/lab?endpoint=" + srv.URL
}

// TestUpSimWithRemoteState: up --sim --state s3://... brings lab up with
// the state (the in-process world included) in the bucket alone; status,
// plan and up from it again find nothing to do.
func TestUpSimWithRemoteState(t *testing.T) {
	_, url := remoteState(t)
	sim := []string{"--sim", "--sim-profile", "instant", "--sim-time-scale", "0.01"}
	code, out, errs := runCLI(t, append([]string{"up", "-i", labInventory, "--state", url}, sim...)...)
	if code != 0 || !strings.Contains(out, "cluster lab is ready") {
		t.Fatalf("up: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = runCLI(t, append([]string{"plan", "-i", labInventory, "--state", url, "--detailed-exitcode"}, sim...)...)
	if code != 0 {
		t.Errorf("plan from the bucket: exit %d, want 0 (nothing to do)\n%s\n%s", code, out, errs)
	}
	code, out, errs = runCLI(t, append([]string{"status", "-i", labInventory, "--state", url}, sim...)...)
	if code != 0 {
		t.Errorf("status from the bucket: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = runCLI(t, append([]string{"up", "-i", labInventory, "--state", url}, sim...)...)
	if code != 0 || !strings.Contains(out, "cluster lab is ready") {
		t.Errorf("second up: exit %d\n%s\n%s", code, out, errs)
	}
	// The kubeconfig comes out of the bucket, sealed there, opened here.
	code, out, errs = runCLI(t, "kubeconfig", "-i", labInventory, "--state", url, "--out", "-")
	if code != 0 || !strings.Contains(out, "apiVersion: v1") || !strings.Contains(out, "client-key-data") {
		t.Errorf("kubeconfig --out - from the bucket: exit %d\n%.200s\n%s", code, out, errs)
	}
	code, _, errs = runCLI(t, "talosconfig", "-i", labInventory, "--state", url)
	if code == 0 || !strings.Contains(errs, "s3://tripod-state/lab/talosconfig.age is sealed with age: pass --out FILE") {
		t.Errorf("talosconfig from the bucket without --out: exit %d\n%s", code, errs)
	}
	// A backup is never stored in the state's bucket: without --to it would
	// be lost with the working copy.
	if !state.LocalOnly(drill.BackupsDir + "/20261202T052036Z/etcd.snapshot") {
		t.Errorf("a remote state would store %s/ in its bucket", drill.BackupsDir)
	}
	code, _, errs = runCLI(t, append([]string{"backup", "-i", labInventory, "--state", url}, sim...)...)
	if code == 0 || !strings.Contains(errs, "pass --to s3://BUCKET/PREFIX to upload it; nothing was snapshotted") {
		t.Errorf("backup of a remote state without --to: exit %d\n%s", code, errs)
	}
}

func TestRemoteStateRefusals(t *testing.T) {
	_, url := remoteState(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"status", "-i", labInventory, "--state", url, "--sim"}, "holds no state: nothing was built with this state"},
		{[]string{"up", "-i", labInventory, "--state", url, "--state-dir", t.TempDir(), "--sim"}, "--state-dir and a remote state"},
		{[]string{"up", "-i", labInventory, "--state", "/tmp/x", "--sim"}, "is not an s3://BUCKET/PREFIX URL"},
		{[]string{"unlock", "-i", labInventory, "--force", "abc"}, "nothing to unlock"},
		{[]string{"unlock", "-i", labInventory, "--state", url, "--force", "abc"}, "is not locked: nothing to unlock"},
	} {
		code, _, errs := runCLI(t, tc.args...)
		if code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, want %q in:\n%s", tc.args, code, tc.want, errs)
		}
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "WRONG")
	code, _, errs := runCLI(t, "up", "-i", labInventory, "--state", url, "--sim")
	if code == 0 || !strings.Contains(errs, "refused the credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (InvalidAccessKeyId)") {
		t.Errorf("wrong credentials: exit %d\n%s", code, errs)
	}
}

// TestStateMigrateThenUpFromTheBucket: a lab brought up from a local
// directory is migrated to a bucket; up from the bucket finds nothing to
// do, and the local directory is retired.
func TestStateMigrateThenUpFromTheBucket(t *testing.T) {
	_, url := remoteState(t)
	sim := []string{"--sim", "--sim-profile", "instant", "--sim-time-scale", "0.01"}
	dir := filepath.Join(t.TempDir(), "lab")
	if code, out, errs := runCLI(t, append([]string{"up", "-i", labInventory, "--state-dir", dir, "--until", "servers"}, sim...)...); code != 0 {
		t.Fatalf("up: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs := runCLI(t, "state", "migrate", "-i", labInventory, "--state-dir", dir, "--state", url)
	if code != 0 || !strings.Contains(out, "moved the state into s3://tripod-state/lab; the local directory is now "+dir+".migrated") {
		t.Fatalf("migrate: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = runCLI(t, append([]string{"plan", "-i", labInventory, "--state", url, "--until", "servers", "--detailed-exitcode"}, sim...)...)
	if code != 0 {
		t.Errorf("plan from the bucket after migrate: exit %d\n%s\n%s", code, out, errs)
	}
	to := filepath.Join(t.TempDir(), "copy")
	if code, _, errs := runCLI(t, "state", "pull", "-i", labInventory, "--state", url, "--to", to); code != 0 {
		t.Errorf("pull: exit %d\n%s", code, errs)
	}
}

// TestSimulatedRunKeepsItsStateOnLoopback: a rehearsal whose state names a
// real endpoint is refused before any byte leaves the machine; the S3
// client dials through netx like every other client.
func TestSimulatedRunKeepsItsStateOnLoopback(t *testing.T) {
	remoteState(t) // an age identity, as a CI job has it
	t.Setenv("SCW_ACCESS_KEY", "SCWXXXXXXXXXXXXXXXXX")
	t.Setenv("SCW_SECRET_KEY", "11111111-1111-1111-1111-111111111111")
	url := "s3://tripod-state/lab?endpoint=https://s3.fr-par.scw.cloud&region=fr-par"
	code, out, errs := runCLI(t, "up", "-i", labInventory, "--state", url, "--sim", "--sim-profile", "instant")
	if code == 0 || !strings.Contains(errs, "refusing to dial s3.fr-par.scw.cloud:443") {
		t.Fatalf("up --sim with a real endpoint: exit %d\n%s\n%s", code, out, errs)
	}
}

// TestInventoryStateAndUnlock: the inventory's state: names the bucket for
// every command; a run that finds the lock held names its ID, and tripod
// unlock --force with that ID says whose lock it removes, after which the
// state opens again. (That the old holder then stops writing is
// s3state's TestForceUnlockSaysWhatAndStopsTheHolder.)
func TestInventoryStateAndUnlock(t *testing.T) {
	_, url := remoteState(t)
	lab, err := os.ReadFile(labInventory)
	if err != nil {
		t.Fatal(err)
	}
	// lab.yaml beside a link to the templates it names (../templates/).
	root := t.TempDir()
	templates, err := filepath.Abs("../../templates")
	if err != nil {
		t.Fatal(err)
	}
	inv := filepath.Join(root, "inventories", "lab.yaml")
	if err := os.Symlink(templates, filepath.Join(root, "templates")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Dir(inv), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(inv, append(lab, []byte("state: \""+url+"\"\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	held, err := s3state.Open(context.Background(), url, netx.Loopback(), state.Options{Command: "tripod up"})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	code, _, errs := runCLI(t, "status", "-i", inv, "--sim")
	m := regexp.MustCompile(`s3://tripod-state/lab is locked by "tripod up" .* run tripod unlock --force ([0-9a-f]+)`).FindStringSubmatch(errs)
	if code == 0 || m == nil {
		t.Fatalf("status while the lock is held: exit %d\n%s", code, errs)
	}
	code, _, errs = runCLI(t, "unlock", "-i", inv, "--force", m[1])
	if code != 0 || !strings.Contains(errs, "removing the lock of s3://tripod-state/lab held by \"tripod up\"") || !strings.Contains(errs, m[1]) {
		t.Fatalf("unlock: exit %d\n%s", code, errs)
	}
	// The state opens again: status runs (nothing is built: exit 2).
	code, _, errs = runCLI(t, "status", "-i", inv, "--sim", "--sim-profile", "instant")
	if code != 2 || strings.Contains(errs, "is locked by") {
		t.Errorf("status after the unlock: exit %d, want 2 (changes pending)\n%s", code, errs)
	}
}
