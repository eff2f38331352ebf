package stage

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/proxmox"
	"github.com/tripod-dev/tripod/internal/run"
)

// harden closes what a finished cluster exposes: on each host, sshd with
// PermitRootLogin prohibit-password and no password login (harden/<host>,
// harden_sshd.go); then, for the datacenter, the Proxmox firewall's rules
// and its enable (harden/datacenter). It observes and repairs on every up.
//
// Lock-out safety: sshd is changed only once a NEW connection with
// tripod's key works, and checked again by a new connection after the
// reload; the firewall is enabled only once every host answers a new SSH
// connection and a new API connection by the route that stays open (SSH,
// or 8006 from the allowed sources), and checked again the same way right
// after. Connections already open survive the change (conntrack, and sshd
// keeps its sessions), so when the check after fails tripod turns the
// firewall off again through them and says how to recover by hand.
type harden struct{ env *Env }

// hardenDatacenter names the datacenter firewall's target.
const hardenDatacenter = "datacenter"

func (s *harden) Name() string { return Harden }

// Targets: each host once it is in the cluster and on the private network;
// the datacenter once every host is hardened and the cluster is whole
// (the rules are the cluster's, and the hosts must all answer the checks).
func (s *harden) Targets() []run.Target {
	e := s.env
	out := e.hostTargets(func(h inventory.HostPlan) []run.Key {
		return []run.Key{run.On(PVECluster, h.Name), run.On(Network, h.Name)}
	})
	needs := []run.Key{run.All(PVECluster), run.All(Ceph)}
	for _, h := range e.Layout().Hosts {
		needs = append(needs, run.On(Harden, h.Name))
	}
	return append(out, run.Target{ID: hardenDatacenter, Needs: needs})
}

func (s *harden) Run(ctx context.Context, st *run.Step) error {
	if st.Key.Target == hardenDatacenter {
		return s.datacenter(ctx, st)
	}
	return s.sshd(ctx, st, st.Key.Target)
}

// Plan lists what a cluster built from nothing gets.
func (s *harden) Plan(ctx context.Context, st *run.Step) error {
	e := s.env
	if st.Key.Target != hardenDatacenter {
		return planOnly(ctx, st, e.sshdMutations(st.Key.Target, true, true)...)
	}
	var ms []run.Mutation
	_, inserts := ruleDiff(nil, e.desiredRules())
	for _, r := range inserts {
		ms = append(ms, ruleInsertMutation(r))
	}
	return planOnly(ctx, st, append(ms, firewallEnableMutation())...)
}

// The datacenter firewall's requests.
const (
	pathClusterFWRules   = "/cluster/firewall/rules"
	pathClusterFWOptions = "/cluster/firewall/options"
)

func ruleInsertMutation(r fwRule) run.Mutation {
	return run.Mutation{API: "proxmox", Verb: "add", Object: "datacenter firewall rule " + strings.TrimPrefix(r["comment"], rulePrefix),
		Detail: ruleText(r), Request: "POST /api2/json" + pathClusterFWRules}
}

func ruleDeleteMutation(pos int, r fwRule) run.Mutation {
	return run.Mutation{API: "proxmox", Verb: "delete", Object: fmt.Sprintf("datacenter firewall rule %d (%s)", pos, strings.TrimPrefix(r["comment"], rulePrefix)),
		Detail: ruleText(r), Request: "DELETE /api2/json" + pathClusterFWRules + "/{pos}"}
}

func firewallEnableMutation() run.Mutation {
	return run.Mutation{API: "proxmox", Verb: "enable", Object: "datacenter firewall",
		Detail: "enable=1, policy_in=DROP, once every host answers a new SSH and API connection", Request: "PUT /api2/json" + pathClusterFWOptions}
}

func ruleText(r fwRule) string {
	var parts []string
	for _, k := range ruleFields {
		if v := r[k]; v != "" && k != "comment" {
			parts = append(parts, k+"="+v)
		}
	}
	return strings.Join(parts, " ")
}

// datacenter observes the cluster's firewall through the first host and
// acts on the difference: tripod's rules, then enable.
func (s *harden) datacenter(ctx context.Context, st *run.Step) error {
	e := s.env
	first := e.firstHost().Name
	c, err := e.node(st, first).API()
	if err != nil {
		return err
	}
	seen, opts, err := observeFirewall(ctx, c)
	if err != nil {
		return err
	}
	deletes, inserts := ruleDiff(seen, e.desiredRules())
	enabled := fmt.Sprint(opts["enable"]) == "1" && fmt.Sprint(opts["policy_in"]) == "DROP"
	factsOf(st).setFirewall(enabled, len(deletes) == 0 && len(inserts) == 0)
	if len(deletes) == 0 && len(inserts) == 0 && enabled {
		st.Skip("the datacenter firewall is on with tripod's %d rules at the top", len(e.desiredRules()))
		return nil
	}
	for _, pos := range deletes {
		m := ruleDeleteMutation(pos, seen[pos])
		err := st.Mutate(ctx, m, func(ctx context.Context) error { return c.Delete(ctx, fmt.Sprintf("%s/%d", pathClusterFWRules, pos)) })
		if !sentOrPlanned(err) {
			return err
		}
	}
	for _, r := range inserts {
		err := st.Mutate(ctx, ruleInsertMutation(r), func(ctx context.Context) error {
			_, err := c.Post(ctx, pathClusterFWRules, r.params())
			return err
		})
		if !sentOrPlanned(err) {
			return err
		}
	}
	if enabled {
		return nil
	}
	if st.DryRun() {
		return planOnly(ctx, st, firewallEnableMutation())
	}
	if err := e.checkAccess(ctx, st, "before enabling the firewall"); err != nil {
		return fmt.Errorf("tripod leaves the firewall off: %w", err)
	}
	err = st.Mutate(ctx, firewallEnableMutation(), func(ctx context.Context) error {
		_, err := c.Put(ctx, pathClusterFWOptions, map[string]any{"enable": 1, "policy_in": "DROP"})
		return err
	})
	if err != nil {
		return err
	}
	if err := e.checkAccess(ctx, st, "after enabling the firewall"); err != nil {
		return e.firewallLockedOut(ctx, st, c, err)
	}
	factsOf(st).setFirewall(true, true)
	return nil
}

// observeFirewall reads the datacenter's rules and options.
func observeFirewall(ctx context.Context, c *proxmox.Client) ([]fwRule, map[string]any, error) {
	list, err := c.ReadList(ctx, pathClusterFWRules)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to read the datacenter firewall rules: %w", err)
	}
	seen := make([]fwRule, 0, len(list))
	for _, m := range list {
		seen = append(seen, observedRule(m))
	}
	opts, err := c.ReadMap(ctx, pathClusterFWOptions)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to read the datacenter firewall options: %w", err)
	}
	return seen, opts, nil
}

// checkAccess opens new connections to every host by the route that stays
// open: SSH with tripod's key, and the API by the fleet's route.
func (e *Env) checkAccess(ctx context.Context, st *run.Step, when string) error {
	f := e.fleet(st)
	var errs []error
	for _, h := range e.Layout().Hosts {
		p, err := f.ProbeSSH(ctx, h.Name)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", h.Name, err))
		case !p.KeyWorks:
			errs = append(errs, fmt.Errorf("a new SSH connection to %s with tripod's key fails %s: %w", h.Name, when, p.KeyErr))
		}
		if err := f.ProbeAPI(ctx, h.Name); err != nil {
			errs = append(errs, fmt.Errorf("a new connection to %s's Proxmox API fails %s: %w", h.Name, when, err))
		}
	}
	return errors.Join(errs...)
}

// firewallLockedOut turns the firewall off again through the connections
// still open and says how to recover when even that fails.
func (e *Env) firewallLockedOut(ctx context.Context, st *run.Step, c *proxmox.Client, cause error) error {
	hint := "check that access.allowedSources holds the public address tripod connects from, or leave it out"
	m := run.Mutation{API: "proxmox", Verb: "disable", Object: "datacenter firewall", Detail: "lock-out recovery: enable=0", Request: "PUT /api2/json" + pathClusterFWOptions}
	err := st.Mutate(ctx, m, func(ctx context.Context) error {
		_, err := c.Put(ctx, pathClusterFWOptions, map[string]any{"enable": 0})
		return err
	})
	if err != nil {
		return fmt.Errorf("%w; tripod could not turn the firewall off again (%v): on the Scaleway console (KVM or rescue) of a host, log in as root with the password in the state directory's secrets and run `pve-firewall stop`, then set enable: 0 in /etc/pve/firewall/cluster.fw; %s", cause, err, hint)
	}
	return fmt.Errorf("%w; tripod turned the datacenter firewall off again through its open connection: %s, then run up again", cause, hint)
}
