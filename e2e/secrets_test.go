package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/simtest"
)

// TestSecretsNeverLeak runs lab with both renderers and greps every output
// and the run logs for every secret the state directory holds: root
// passwords, API token secrets, the SSH private key, the Talos secrets
// bundle's keys and tokens. Files holding secrets must be 0600.
func TestSecretsNeverLeak(t *testing.T) {
	sim := startSim(t, "--profile", "realistic", "--time-scale", "0.0005")
	dir := t.TempDir()
	inv := "../inventories/lab.yaml"
	var outputs []string
	for _, args := range [][]string{
		{"up", "-i", inv, "--state-dir", dir, "-v"},
		{"up", "-i", inv, "--state-dir", dir, "-o", "json"},
		{"plan", "-i", inv, "--state-dir", dir, "-o", "json"},
		{"status", "-i", inv, "--state-dir", dir},
	} {
		r := tripod(t, sim, args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
		outputs = append(outputs, r.stdout, r.stderr)
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "runs", "*.jsonl"))
	if len(logs) < 4 {
		t.Fatalf("run logs: %v", logs)
	}
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		outputs = append(outputs, string(b))
	}
	all := strings.Join(outputs, "\n")
	secrets := secretValues(t, dir)
	if len(secrets) < 10 {
		t.Fatalf("found only %d secret values to look for; the test would prove nothing", len(secrets))
	}
	simtest.NoSecrets(t, "an output or log", all, secrets)
	for _, rel := range []string{"secrets", "talosconfig", "kubeconfig", "talos", "journal.jsonl"} {
		filepath.Walk(filepath.Join(dir, rel), func(p string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() {
				return nil
			}
			if info.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %v, want 0600", p, info.Mode().Perm())
			}
			return nil
		})
	}
}

var secretField = regexp.MustCompile(`(?m)^\s*(key|secret|token|bootstraptoken|secretboxencryptionsecret|aescbcencryptionsecret|trustdinfo):\s*(\S{16,})\s*$`)

// secretValues gathers what must never be printed: every secrets/ file
// (each line of a key), and the key material of the Talos bundle.
func secretValues(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	files, _ := filepath.Glob(filepath.Join(dir, "secrets", "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		if strings.HasSuffix(name, ".yaml") {
			for _, m := range secretField.FindAllStringSubmatch(string(b), -1) {
				out[name+":"+m[1]+":"+m[2][:6]] = m[2]
			}
			continue
		}
		for i, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if len(line) >= 16 && !strings.HasPrefix(line, "-----") {
				out[name+":"+string(rune('0'+i%10))+line[:4]] = line
			} else if len(line) >= 12 && !strings.HasPrefix(line, "-----") {
				out[name] = line // a password
			}
		}
	}
	return out
}
