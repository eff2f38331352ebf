package stage

import (
	"context"

	"github.com/tripod-dev/tripod/internal/run"
)

// Preflight's targets that need no remote API. Every server order needs all
// of preflight, so a failure here stops the run before anything is paid for.
const (
	configsTarget  = "machineconfigs"   // every node's Talos config renders and validates
	identityTarget = "secrets-identity" // an encrypted secrets store can be read back
)

// localChecks are preflight's local targets, in the order they are listed.
var localChecks = []struct {
	id    string
	check func(s *preflight, st *run.Step) error
}{
	{configsTarget, (*preflight).checkConfigs},
	{identityTarget, (*preflight).checkSecretsIdentity},
}

// localTargets lists the local checks as preflight targets.
func localTargets() []run.Target {
	var out []run.Target
	for _, c := range localChecks {
		out = append(out, run.Target{ID: c.id})
	}
	return out
}

// runLocal runs st's local check; ok is false for a target that is not one.
func (s *preflight) runLocal(_ context.Context, st *run.Step) (ok bool, err error) {
	for _, c := range localChecks {
		if c.id == st.Key.Target {
			return true, c.check(s, st)
		}
	}
	return false, nil
}
