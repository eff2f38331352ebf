package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/inventory"
)

// Every provider's starter validates as written, through the same command a
// user runs next.
func TestInitWritesAValidInventoryForEveryProvider(t *testing.T) {
	for _, c := range []struct{ provider, at, want string }{
		{"dedibox", "", "datacenter: DC5"},
		{"elastic-metal", "", "zone: fr-par-2"},
		{"dedibox", "DC2,DC3,AMS1", "datacenter: AMS1"},
	} {
		dir := t.TempDir()
		file := filepath.Join(dir, "c.yaml")
		args := []string{"init", "--name", "c1", "--provider", c.provider, "--hosts-per-az", "2", "--workers-per-az", "3", "--out", file}
		if c.at != "" {
			args = append(args, "--at", c.at)
		}
		if code, _, errs := runCLI(t, args...); code != 0 {
			t.Fatalf("%s: init exit %d: %s", c.provider, code, errs)
		}
		raw, _ := os.ReadFile(file)
		if !strings.Contains(string(raw), c.want) || !strings.Contains(string(raw), "\n# ") {
			t.Errorf("%s: starter lacks %q or its comments:\n%s", c.provider, c.want, raw)
		}
		code, out, errs := runCLI(t, "validate", "-i", file)
		if code != 0 || !strings.Contains(out, "is valid: 6 hosts, 3 control planes, 9 workers") {
			t.Errorf("%s: validate exit %d: %s%s", c.provider, code, out, errs)
		}
		l, err := inventory.Load(file)
		if err != nil || l.Cluster.Name != "c1" {
			t.Errorf("%s: load: %v", c.provider, err)
		}
	}
}

func TestInitNeverOverwritesAndWritesNothingInvalid(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "lab.yaml")
	if err := os.WriteFile(file, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCLI(t, "init", "--out", file); code != 1 || !strings.Contains(errs, "exists; pass --force") {
		t.Fatalf("init over an existing file: exit %d %q", code, errs)
	}
	if raw, _ := os.ReadFile(file); string(raw) != "mine\n" {
		t.Fatalf("the existing file changed: %q", raw)
	}
	bad := filepath.Join(dir, "bad.yaml")
	code, _, errs := runCLI(t, "init", "--at", "DC2,DC2,DC5", "--out", bad)
	if code != 1 || !strings.Contains(errs, "datacenter") {
		t.Fatalf("two AZs in one datacenter: exit %d %q", code, errs)
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Errorf("an invalid starter was written: %v", err)
	}
}

// On a terminal (or with --interactive) init asks; empty answers keep the
// shown default.
func TestInitAsks(t *testing.T) {
	file := filepath.Join(t.TempDir(), "asked.yaml")
	var out, errb bytes.Buffer
	answers := "team-a\nelastic-metal\n\n\n2\n\n"
	code := Main([]string{"init", "--interactive", "--out", file}, Streams{In: strings.NewReader(answers), Out: &out, Err: &errb})
	if code != 0 {
		t.Fatalf("init exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "Cluster name [lab]: ") {
		t.Errorf("no prompt shown: %q", out.String())
	}
	l, err := inventory.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if l.Cluster.Name != "team-a" || l.Cluster.AZs[1].Zone != "fr-par-2" || len(l.Cluster.AZs[0].Hosts) != 2 || l.Cluster.AZs[0].Workers.Count != 1 {
		t.Errorf("answers not taken: %+v", l.Cluster.AZs)
	}
}
