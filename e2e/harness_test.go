package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tripodBin is the binary built once for every test.
var tripodBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tripod-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tripodBin = filepath.Join(dir, "tripod")
	build := exec.Command("go", "build", "-race", "-o", tripodBin, "../cmd/tripod")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building tripod:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// simProc is a `tripod sim serve` process.
type simProc struct {
	t     *testing.T
	cmd   *exec.Cmd
	env   []string // KEY=VALUE from its env file
	admin string
}

// startSim serves a simulated world in its own process and waits for its
// environment file.
func startSim(t *testing.T, args ...string) *simProc {
	t.Helper()
	envFile := filepath.Join(t.TempDir(), "sim.env")
	cmd := exec.Command(tripodBin, append([]string{"sim", "serve", "--env-file", envFile}, args...)...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &simProc{t: t, cmd: cmd}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("simulator output:\n%s", logs.String())
		}
	})
	// A -race binary starting on a loaded machine can take long: wait for
	// the file as long as the test may run, not on a budget of our own.
	deadline := waitDeadline(t)
	for {
		b, err := os.ReadFile(envFile)
		if err == nil && bytes.Contains(b, []byte("TRIPOD_SIM=")) {
			sc := bufio.NewScanner(bytes.NewReader(b))
			for sc.Scan() {
				if line := strings.TrimSpace(sc.Text()); line != "" {
					p.env = append(p.env, line)
					if v, ok := strings.CutPrefix(line, "TRIPOD_SIM="); ok {
						p.admin = v
					}
				}
			}
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("simulator did not write %s in time; output:\n%s", envFile, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitDeadline is when a test's waits give up: the test binary's own
// deadline (go test -timeout) less a twentieth of what is left (at most a
// minute) to report a clean failure, or ten minutes without one. Waits are
// on conditions; a loaded machine must make them slower, never fail them.
func waitDeadline(t *testing.T) time.Time {
	dl, ok := t.Deadline()
	if !ok {
		return time.Now().Add(10 * time.Minute)
	}
	return dl.Add(-min(time.Until(dl)/20, time.Minute))
}

// result is a finished tripod command.
type result struct {
	code           int
	killed         bool // ended by SIGKILL
	stdout, stderr string
}

// tripod runs the binary with the simulator's environment (nil for none).
func tripod(t *testing.T, sim *simProc, args ...string) result {
	t.Helper()
	return tripodEnv(t, sim, nil, args...)
}

// tripodEnv is tripod with extra KEY=VALUE variables.
func tripodEnv(t *testing.T, sim *simProc, extra []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, tripodBin, args...)
	cmd.Env = cleanEnv()
	if sim != nil {
		cmd.Env = append(cmd.Env, sim.env...)
	}
	cmd.Env = append(cmd.Env, extra...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			r.killed = true
		}
	} else if err != nil {
		t.Fatalf("tripod %v: %v", args, err)
	}
	return r
}

// cleanEnv is this process's environment without anything that would point
// tripod at real Scaleway or at another simulator.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "SCW_") || strings.HasPrefix(kv, "TRIPOD_") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, "SCW_CONFIG_PATH=/nonexistent/scw-config.yaml")
}

// getJSON reads one of the simulator's admin endpoints.
func (p *simProc) getJSON(path string, v any) {
	p.t.Helper()
	resp, err := http.Get(p.admin + path)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		p.t.Fatalf("%s: %v", path, err)
	}
}

// requests is the simulator's /requests.
type requests struct {
	Total    int `json:"total"`
	Mutating int `json:"mutating"`
	APIs     map[string]struct {
		Total    int `json:"total"`
		Mutating int `json:"mutating"`
		Routes   map[string]struct {
			Total    int            `json:"total"`
			Mutating int            `json:"mutating"`
			Statuses map[string]int `json:"statuses"`
		} `json:"routes"`
	} `json:"apis"`
	Errors []struct {
		API    string `json:"api"`
		Kind   string `json:"kind"`
		Detail string `json:"detail"`
	} `json:"errors"`
}

func (p *simProc) requests() requests {
	var r requests
	p.getJSON("/requests", &r)
	return r
}

// mutatingRoutes lists the routes that served mutating requests, for
// failure messages.
func (r requests) mutatingRoutes() []string {
	var out []string
	for api, a := range r.APIs {
		for route, rc := range a.Routes {
			if rc.Mutating > 0 {
				out = append(out, fmt.Sprintf("%s %s x%d", api, route, rc.Mutating))
			}
		}
	}
	return out
}
