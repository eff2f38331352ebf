package simtest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tripod-dev/tripod/internal/run"
)

// probeEnv is a stand-in for the tool's environment: the kit is generic
// over it and knows nothing of stage.
type probeEnv struct {
	w      *World[*probeEnv]
	mutate bool
}

// probeStage deletes an SSH key in the simulated Scaleway (a mutating
// request, whatever its answer) when its env says so, and skips otherwise.
type probeStage struct{ env *probeEnv }

func (p probeStage) Name() string          { return "probe" }
func (p probeStage) Targets() []run.Target { return []run.Target{{ID: "key"}} }
func (p probeStage) Run(ctx context.Context, st *run.Step) error {
	if !p.env.mutate {
		st.Skip("nothing to do")
		return nil
	}
	return st.Mutate(ctx, run.Mutation{API: "scaleway", Verb: "delete", Object: "SSH key k"}, func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodDelete, *p.env.w.Scaleway.APIURL+"/iam/v1alpha1/ssh-keys/k", nil)
		if err != nil {
			return err
		}
		req.Header.Set("X-Auth-Token", *p.env.w.Scaleway.SecretKey)
		resp, err := p.env.w.Dialer.HTTPClient(nil, 10*time.Second).Do(req)
		if err != nil {
			return err
		}
		return resp.Body.Close()
	})
}

var probeTool = Tool[*probeEnv]{
	New:    func(w *World[*probeEnv]) *probeEnv { return &probeEnv{w: w, mutate: true} },
	Fresh:  func(_ testing.TB, e *probeEnv) *probeEnv { return &probeEnv{w: e.w, mutate: e.mutate} },
	Stages: func(e *probeEnv) []run.Stage { return []run.Stage{probeStage{e}} },
}

// TestPlanSendsNothingAndRunDoes: Plan records the mutation and sends no
// request, Run sends it, and Mutations counts what the simulator served.
func TestPlanSendsNothingAndRunDoes(t *testing.T) {
	w := NewWorld(t, "../../inventories/lab.yaml", probeTool)
	rep, err := w.Plan("")
	if err != nil || len(rep.Mutations()) != 1 || w.Mutations() != 0 {
		t.Fatalf("plan: %v, %d mutations, %d mutating requests; want nil, 1, 0", err, len(rep.Mutations()), w.Mutations())
	}
	if _, err := w.Run(""); err != nil || w.Mutations() != 1 {
		t.Fatalf("run: %v, %d mutating requests; want nil, 1", err, w.Mutations())
	}
}

// failures is a testing.TB that records Errorf instead of failing.
type failures struct {
	testing.TB
	msgs []string
}

func (f *failures) Helper() {}
func (f *failures) Errorf(format string, a ...any) {
	f.msgs = append(f.msgs, fmt.Sprintf(format, a...))
}

// TestConvergedFailsARunThatChangesSomething: a run that sends a mutating
// request through the gate fails both of Converged's checks; one that
// skips passes.
func TestConvergedFailsARunThatChangesSomething(t *testing.T) {
	w := NewWorld(t, "../../inventories/lab.yaml", probeTool)
	again := func() *run.Report {
		rep, err := w.Run("")
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	f := &failures{TB: t}
	if _, ok := w.Converged(f, "second up", again); ok || len(f.msgs) != 2 ||
		!strings.Contains(f.msgs[0], "second up made 1 mutating requests") || !strings.Contains(f.msgs[1], "second up went through the gate") {
		t.Errorf("a mutating run: converged %v, failures %q", ok, f.msgs)
	}
	w.Env.mutate = false
	f = &failures{TB: t}
	if _, ok := w.Converged(f, "second up", again); !ok || len(f.msgs) != 0 {
		t.Errorf("a skipping run: converged %v, failures %q", ok, f.msgs)
	}
}

// TestNoSecretsAndCountDiff: a secret in the text is named, never shown;
// CountDiff lists only differing keys, sorted.
func TestNoSecretsAndCountDiff(t *testing.T) {
	f := &failures{TB: t}
	NoSecrets(f, "the output", "token s3cr3t-value here", map[string]string{"API token": "s3cr3t-value", "password": "absent"})
	if len(f.msgs) != 1 || f.msgs[0] != "the API token appears in the output" {
		t.Errorf("NoSecrets reported %q", f.msgs)
	}
	if got := CountDiff(map[string]int{"b": 1, "a": 2, "c": 1}, map[string]int{"a": 1, "c": 1, "d": 3}); got != "  a: 2/1\n  b: 1/0\n  d: 0/3" {
		t.Errorf("CountDiff: %q", got)
	}
}
