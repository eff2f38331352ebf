package stage

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/retry"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
	"github.com/tripod-dev/tripod/internal/state"
	"github.com/tripod-dev/tripod/internal/talos"
)

// TestBrokenPatchFailsItsNodes: a worker-only patch the validator refuses
// fails every worker's machineconfig step with the node, the patch and the
// validator's message, and no control plane's.
func TestBrokenPatchFailsItsNodes(t *testing.T) {
	inv := labWithPatches(t, "    - inline:\n        machine:\n          kubelet:\n            nodeIP:\n              validSubnets: [not-a-subnet]\n      target: worker\n")
	sd, err := state.Open(filepath.Join(t.TempDir(), "state"), state.Options{Command: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sd.Close() })
	env := NewEnv(Deps{Inventory: inv, State: sd, Timing: retry.Scaled(0.01)})
	events := &eventLog{}
	rep, err := (&run.Runner{Stages: []run.Stage{&machineConfig{env}}, Sink: events}).Run(context.Background())
	if err == nil {
		t.Fatal("a broken patch did not fail the run")
	}
	for _, s := range rep.Steps {
		worker := strings.Contains(s.Key.Target, "-w-")
		if !worker {
			if s.Status == run.StatusFailed {
				t.Errorf("%s failed: %v", s.Key, s.Err)
			}
			continue
		}
		msg := ""
		if s.Err != nil {
			msg = s.Err.Error()
		}
		var pe *talos.PatchError
		if s.Status != run.StatusFailed || !errors.As(s.Err, &pe) || !strings.Contains(msg, s.Key.Target) ||
			!strings.Contains(msg, "talos.patches[1] (inline)") || !strings.Contains(msg, `kubelet nodeIP subnet is not valid: "not-a-subnet"`) {
			t.Errorf("%s: %s %q, want a failure naming the node, the patch and the validator's message", s.Key, s.Status, msg)
		}
		if _, err := os.Stat(filepath.Join(sd.Path, talos.ConfigFile(s.Key.Target))); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: a config was written for a node whose config is invalid", s.Key)
		}
	}
	checkNoSecretsInText(t, env, events.text())
}

// TestPlanFromNothing: with no VM and no secrets yet, plan lists every
// apply and the bootstrap, renders and validates every config in memory,
// and writes nothing: no secrets, no configs, no talosconfig.
func TestPlanFromNothing(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml", withProfile(simcore.Instant, 0.01), onVLAN)
	rep, err := tw.talosRun(tw.Env, true, nil)
	mustSucceed(t, rep, err)
	if got := stepsOf(rep, Apply, run.StatusPlanned); len(got) != len(tw.Env.Layout().VMs) {
		t.Errorf("planned applies %v, want every VM", got)
	}
	if got := stepsOf(rep, Bootstrap, run.StatusPlanned); len(got) != 1 || got[0] != bootstrapTarget {
		t.Errorf("planned bootstrap steps %v", got)
	}
	if got := stepsOf(rep, MachineConfig, run.StatusUnchanged); len(got) != len(tw.Env.Layout().VMs)+2 {
		t.Errorf("machineconfig steps that rendered without writing: %v", got)
	}
	for _, rel := range []string{talos.ConfigDir, talos.TalosconfigFile, talos.KubeconfigFile, filepath.Join("secrets", secretTalosBundle)} {
		if _, err := os.Stat(filepath.Join(tw.Env.State.Path, rel)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("plan wrote %s", rel)
		}
	}
	if s := tw.World.Env.Log.Snapshot(); s.Mutating != 0 {
		t.Errorf("plan made mutating requests: %v", s.MutatingRoutes())
	}
}
