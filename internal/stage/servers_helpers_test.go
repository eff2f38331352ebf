package stage

import (
	"context"
	"slices"
	"strings"
	"testing"

	dedibox "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"
	"gopkg.in/yaml.v3"

	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/scaleway"
	"github.com/tripod-dev/tripod/internal/sim"
	simscw "github.com/tripod-dev/tripod/internal/sim/scaleway"
)

// installOnly is the os stage without prepareProxmox (os_token.go): these
// tests check the Scaleway side alone.
type installOnly struct{ *osInstall }

func (s installOnly) Run(ctx context.Context, st *run.Step) error {
	h, _ := s.env.Layout().Host(st.Key.Target)
	return s.install(ctx, st, h)
}

func (s installOnly) Plan(ctx context.Context, st *run.Step) error {
	h, _ := s.env.Layout().Host(st.Key.Target)
	return s.planFreshInstall(ctx, st, h)
}

// privateOnly is the network stage's Scaleway targets alone.
type privateOnly struct{ *network }

func (s privateOnly) Targets() []run.Target {
	var out []run.Target
	for _, t := range s.network.Targets() {
		if strings.HasPrefix(t.ID, privateTarget("")) {
			out = append(out, t)
		}
	}
	return out
}

// scwStages is the Scaleway part of the run: preflight, servers, the
// install, the private network.
func scwStages(env *Env) []run.Stage {
	return []run.Stage{&preflight{env}, &servers{env}, installOnly{&osInstall{env}}, privateOnly{&network{env}}}
}

// runScw runs the Scaleway stages on env until the named stage.
func (tw *testWorld) runScw(env *Env, until string, dryRun bool) (*run.Report, error) {
	tw.t.Helper()
	r := &run.Runner{Stages: scwStages(env), Until: until, Pools: Pools, DryRun: dryRun, Facts: &run.Facts{}}
	return r.Run(context.Background())
}

// emStock puts elastic-metal.yaml's offer in stock: the recorded catalogue
// has EM-L220E-NVME out of stock, which preflight rightly refuses.
const emStock = `
stock:
  - {offer: EM-L220E-NVME, placement: fr-par-1, stock: available}
  - {offer: EM-L220E-NVME, placement: fr-par-2, stock: available}
  - {offer: EM-L220E-NVME, placement: nl-ams-1, stock: available}
`

// preload parses a preload document as `tripod sim serve --preload` would.
func preload(t *testing.T, doc string) *sim.Preload {
	t.Helper()
	var p sim.Preload
	if err := yaml.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatalf("preload: %v", err)
	}
	return &p
}

// ours returns the simulator's servers carrying env's ownership tag.
func ours(tw *testWorld) []simscw.ServerState {
	var out []simscw.ServerState
	for _, s := range tw.World.Scaleway.State().Servers {
		if slices.Contains(s.Tags, tw.Env.ServerTag()) {
			out = append(out, s)
		}
	}
	return out
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// assertNoMutations runs the Scaleway stages again as a new process would
// and requires zero mutating requests.
func assertNoMutations(t *testing.T, tw *testWorld, until string) *run.Report {
	t.Helper()
	rep, ok := tw.Converged(t, "second up", func() *run.Report {
		rep, err := tw.runScw(tw.fresh(), until, false)
		requireClean(t, rep, err)
		return rep
	})
	if !ok {
		t.FailNow()
	}
	return rep
}

// scwClient is a client on the world for tests that act as "someone else"
// (a crashed earlier run, an operator).
func scwClient(t *testing.T, tw *testWorld) *scaleway.Session {
	t.Helper()
	c, err := tw.Env.scw()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func removeMember(c *scaleway.Session, group, member uint64) error {
	return c.RPN.DeleteRpnV2Members(&dedibox.RpnV2ApiDeleteRpnV2MembersRequest{GroupID: group, MemberIDs: []uint64{member}})
}

func setVLAN(c *scaleway.Session, group, member uint64, vlan uint32) error {
	return c.RPN.UpdateRpnV2VlanForMembers(&dedibox.RpnV2ApiUpdateRpnV2VlanForMembersRequest{GroupID: group, MemberIDs: []uint64{member}, Vlan: &vlan})
}
