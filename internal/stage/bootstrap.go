package stage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/client"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/retry"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/talos"
)

type bootstrap struct{ env *Env }

func (s *bootstrap) Name() string { return Bootstrap }

// Target IDs of bootstrap.
const (
	bootstrapTarget = "bootstrap"
	etcdTarget      = "etcd"
)

// Targets: Bootstrap needs only the first control plane configured; the
// etcd membership wait needs every control plane.
func (s *bootstrap) Targets() []run.Target {
	cps := s.env.Layout().ControlPlanes()
	etcd := run.Target{ID: etcdTarget, Needs: []run.Key{run.On(Bootstrap, bootstrapTarget)}}
	for _, cp := range cps {
		etcd.Needs = append(etcd.Needs, run.On(Apply, cp.Name))
	}
	return []run.Target{{ID: bootstrapTarget, Needs: []run.Key{run.On(Apply, cps[0].Name)}}, etcd}
}

func (s *bootstrap) Run(ctx context.Context, st *run.Step) error {
	if st.Key.Target == etcdTarget {
		return s.waitEtcd(ctx, st)
	}
	return s.bootstrap(ctx, st)
}

// Plan lists the bootstrap of a cluster whose nodes do not exist yet, and
// says what the etcd target would wait for.
func (s *bootstrap) Plan(ctx context.Context, st *run.Step) error {
	if st.Key.Target == etcdTarget {
		n := len(s.env.Layout().ControlPlanes())
		st.Skip("would wait for etcd %d/%d members", n, n)
		return nil
	}
	return planOnly(ctx, st, bootstrapMutation(s.env.Layout().ControlPlanes()[0]))
}

// bootstrapMutation is the Bootstrap call on first, the first control plane.
func bootstrapMutation(first inventory.VMPlan) run.Mutation {
	return run.Mutation{API: "talos", Verb: "bootstrap", Object: fmt.Sprintf("etcd on %s (%s)", first.Name, first.Address),
		Detail:  "the first control plane in layout order; the others join it",
		Request: machine.MachineService_Bootstrap_FullMethodName}
}

// bootstrap starts etcd on the first control plane of the layout, exactly
// once: a node whose etcd already has members is left alone, and Talos
// itself refuses a second bootstrap (AlreadyExists), which on a resumed run
// means an earlier one landed.
func (s *bootstrap) bootstrap(ctx context.Context, st *run.Step) error {
	first := s.env.Layout().ControlPlanes()[0]
	m := bootstrapMutation(first)
	if cp, n := s.bootstrapped(ctx, st.DryRun()); n > 0 {
		st.Skip("etcd is bootstrapped: %s lists %d member(s)", cp, n)
		return nil
	}
	// No etcd answers: never bootstrapped, or not started yet; Bootstrap
	// tells which.
	return st.Mutate(ctx, m, func(ctx context.Context) error {
		return s.env.talosCall(ctx, false, []string{first.Address.String()}, func(ctx context.Context, c talosClient) error {
			already, err := talos.Bootstrap(ctx, c, s.env.talosPolicy(st, 15*time.Minute))
			if already {
				st.Progress("etcd on %s was already bootstrapped", first.Name)
			}
			return err
		})
	})
}

// bootstrapped asks every control plane's etcd for its members, once each,
// and returns the first that lists any. Asking each rather than the first
// alone keeps one lost answer (a fault, a restarting apid) from reading as
// "never bootstrapped"; were all lost, Bootstrap's AlreadyExists still
// stops a second bootstrap.
func (s *bootstrap) bootstrapped(ctx context.Context, dryRun bool) (string, int) {
	for _, cp := range s.env.Layout().ControlPlanes() {
		if members, err := s.env.etcdMembers(ctx, dryRun, cp); err == nil && len(members) > 0 {
			return cp.Name, len(members)
		}
	}
	return "", 0
}

// etcdMembers is the member list as cp's etcd reports it, asked through
// apid's node routing, once: a member not started yet answers Unavailable,
// which the callers wait out rather than repeat.
func (e *Env) etcdMembers(ctx context.Context, dryRun bool, cp inventory.VMPlan) ([]*machine.EtcdMember, error) {
	ctx, cancel := context.WithTimeout(talos.Once(ctx), e.Timing.Attempt(10*time.Second))
	defer cancel()
	var members []*machine.EtcdMember
	err := e.talosCall(ctx, dryRun, nil, func(ctx context.Context, c talosClient) error {
		resp, err := c.EtcdMemberList(client.WithNode(ctx, cp.Address.String()), &machine.EtcdMemberListRequest{})
		if err != nil {
			return err
		}
		for _, msg := range resp.GetMessages() {
			members = append(members, msg.GetMembers()...)
		}
		return nil
	})
	return members, err
}

// waitEtcd waits for "etcd N/N members": every control plane's etcd
// answers and lists every control plane, and nothing else, as a voting
// member.
func (s *bootstrap) waitEtcd(ctx context.Context, st *run.Step) error {
	n := len(s.env.Layout().ControlPlanes())
	cond := retry.Condition{
		API: "talos", Name: fmt.Sprintf("etcd %d/%d members", n, n),
		Interval: s.env.Timing.Interval(5 * time.Second), Timeout: s.env.Timing.Deadline(30 * time.Minute),
		Check: s.etcdCheck(st.DryRun()), Classify: talos.Classify,
		Progress: func(status string) { st.Progress("etcd %s", status) },
	}
	if ok, err := checkOrWait(ctx, st, cond); !ok || err != nil {
		return err
	}
	st.Skip("etcd has %d/%d members", n, n)
	return nil
}

func (s *bootstrap) etcdCheck(dryRun bool) func(context.Context) (bool, string, error) {
	cps := s.env.Layout().ControlPlanes()
	return func(ctx context.Context) (bool, string, error) {
		healthy := 0
		var waiting []string
		for _, cp := range cps {
			members, err := s.env.etcdMembers(ctx, dryRun, cp)
			if err == nil && votersAre(members, cps) {
				healthy++
				continue
			}
			waiting = append(waiting, cp.Name)
		}
		status := fmt.Sprintf("%d/%d members", healthy, len(cps))
		if len(waiting) > 0 {
			status += " (waiting on " + strings.Join(waiting, ", ") + ")"
		}
		return healthy == len(cps), status, nil
	}
}

// votersAre reports whether members are exactly the control planes, each
// a voter (a learner is still catching up).
func votersAre(members []*machine.EtcdMember, cps []inventory.VMPlan) bool {
	if len(members) != len(cps) {
		return false
	}
	want := map[string]bool{}
	for _, cp := range cps {
		want[cp.Name] = true
	}
	for _, m := range members {
		if m.GetIsLearner() || !want[m.GetHostname()] {
			return false
		}
		delete(want, m.GetHostname())
	}
	return len(want) == 0
}
