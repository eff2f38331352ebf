package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// serveInfo runs `sim serve` in-process with args, reads its /info once the
// environment file is written, and stops it.
func serveInfo(t *testing.T, args ...string) (map[string]any, error) {
	t.Helper()
	envFile := filepath.Join(t.TempDir(), "sim.env")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var errOut bytes.Buffer
	cmd := NewRootCommand(Streams{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &errOut})
	cmd.SetArgs(append([]string{"sim", "serve", "--profile", "instant", "--env-file", envFile}, args...))
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	for {
		select {
		case err := <-done:
			return nil, err
		case <-time.After(20 * time.Millisecond):
		}
		b, err := os.ReadFile(envFile)
		if err != nil {
			continue
		}
		var admin string
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "TRIPOD_SIM="); ok {
				admin = v
			}
		}
		resp, err := http.Get(admin + "/info")
		if err != nil {
			t.Fatal(err)
		}
		var info map[string]any
		err = json.NewDecoder(resp.Body).Decode(&info)
		resp.Body.Close()
		cancel()
		if serr := <-done; serr != nil {
			t.Fatalf("sim serve: %v", serr)
		}
		return info, err
	}
}

func TestSimServeOperatorFlag(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "public"},
		{[]string{"--operator", "private"}, "private"},
	} {
		info, err := serveInfo(t, c.args...)
		if err != nil {
			t.Fatal(err)
		}
		if info["operator"] != c.want {
			t.Errorf("sim serve %v: /info operator %v, want %s", c.args, info["operator"], c.want)
		}
	}
	if _, err := serveInfo(t, "--operator", "vpn"); err == nil || !strings.Contains(err.Error(), "--operator") {
		t.Fatalf("--operator vpn: %v, want an error naming the flag", err)
	}
}

// TestSimOperatorFlag: --sim worlds take the operator's position from
// --sim-operator (public unless it says otherwise), and a bad one is refused
// naming the flag.
func TestSimOperatorFlag(t *testing.T) {
	code, _, errs := runCLI(t, "up", "--sim", "--sim-profile", "instant", "--sim-operator", "vpn",
		"-i", "../../inventories/lab.yaml", "--state-dir", t.TempDir(), "--until", "preflight")
	if code == 0 || !strings.Contains(errs, "--sim-operator") {
		t.Fatalf("--sim-operator vpn: exit %d, %q; want a refusal naming the flag", code, errs)
	}
	f := &simFlags{}
	cmd := &cobra.Command{}
	addSimFlags(cmd, f, "sim-")
	if f.operator != "public" {
		t.Errorf("--sim-operator defaults to %q, want public", f.operator)
	}
}
