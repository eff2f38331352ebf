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

// harden closes what a finished cluster exposes: on each host, its own
// firewall switch not 0 (harden_hostfw.go) and sshd with PermitRootLogin
// prohibit-password and no password login (harden/<host>, harden_sshd.go);
// then, for the datacenter, the Proxmox firewall's rules
// and its enable (harden/datacenter), with the alias local_network the
// private network (harden_localnet.go). It observes and repairs on every up.
//
// Lock-out safety: sshd is changed only once a NEW connection with
// tripod's key works, and checked again by a new connection after the
// reload; the firewall is enabled only once every host answers a new SSH
// connection and a new API connection by the route that stays open (SSH,
// or 8006 from the allowed sources), and checked again the same way right
// after, and after any change of the rules while it is on (tripod's new
// rules are added before its old ones are deleted, so a run killed in
// between has lost no way in). Connections already open survive the change (conntrack, and sshd
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
	if err := s.env.hostSwitch(ctx, st, st.Key.Target); !sentOrPlanned(err) {
		return err
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
	for _, c := range ruleChanges(nil, e.desiredRules()) {
		ms = append(ms, c.mutation())
	}
	ms = append(ms, localNetworkMutation(false, e.wantLocalNetwork()))
	return planOnly(ctx, st, append(ms, firewallEnableMutation())...)
}

// The datacenter firewall's requests.
const (
	pathClusterFWRules   = "/cluster/firewall/rules"
	pathClusterFWOptions = "/cluster/firewall/options"
)

func (c ruleChange) mutation() run.Mutation {
	name := strings.TrimPrefix(c.Rule["comment"], rulePrefix)
	if c.Delete {
		return run.Mutation{API: "proxmox", Verb: "delete", Object: fmt.Sprintf("datacenter firewall rule %d (%s)", c.Pos, name),
			Detail: ruleText(c.Rule), Request: "DELETE /api2/json" + pathClusterFWRules + "/{pos}"}
	}
	return run.Mutation{API: "proxmox", Verb: "add", Object: "datacenter firewall rule " + name,
		Detail: fmt.Sprintf("at position %d: %s", c.Pos, ruleText(c.Rule)), Request: "POST /api2/json" + pathClusterFWRules}
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
	localNet, localNetDefined, err := observeLocalNetwork(ctx, c)
	if err != nil {
		return err
	}
	localNetOK := localNetDefined && localNet == e.wantLocalNetwork()
	changes := ruleChanges(seen, e.desiredRules())
	enabled := fmt.Sprint(opts["enable"]) == "1" && fmt.Sprint(opts["policy_in"]) == "DROP"
	factsOf(st).setFirewall(enabled, len(changes) == 0 && localNetOK)
	if len(changes) == 0 && localNetOK && enabled {
		st.Skip("the datacenter firewall is on with tripod's %d rules at the top and local_network %s", len(e.desiredRules()), localNet)
		return nil
	}
	if err := s.syncRules(ctx, st, c, changes); err != nil {
		return err
	}
	// Narrowing the management set goes last, after the rules that open
	// what tripod needs, and before the firewall is enabled.
	if err := e.syncLocalNetwork(ctx, st, c, localNet, localNetDefined); err != nil {
		return err
	}
	if enabled {
		if st.DryRun() {
			return nil
		}
		// The rules or local_network changed under a firewall that is on:
		// the new rules were added before the old ones went, so only the
		// end state can shut tripod out (allowed sources that leave out
		// where it connects from). Check it as after enabling.
		return e.confirmFirewallOn(ctx, st, c, "after changing the firewall rules")
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
	return e.confirmFirewallOn(ctx, st, c, "after enabling the firewall")
}

// confirmFirewallOn checks, by new connections, that a firewall which is
// on with tripod's rules still lets tripod in, and turns it off again
// through the open connection when it does not.
func (e *Env) confirmFirewallOn(ctx context.Context, st *run.Step, c *proxmox.Client, when string) error {
	if err := e.checkAccess(ctx, st, when); err != nil {
		return e.firewallLockedOut(ctx, st, c, err)
	}
	factsOf(st).setFirewall(true, true)
	return nil
}

// ruleFailures bounds how many rule changes in a row may fail (an answer
// lost, a change refused as made over a changed configuration) before the
// step gives up.
const ruleFailures = 10

// syncRules makes the changes that bring the datacenter's rules to
// tripod's, one at a time. A dry run lists changes, as worked out from the
// rules observed. A run reads the rules again before each change and
// sends the one nextRuleChange names, with the digest of what it read: a
// request the client resends after it landed (a DELETE is resent on a lost
// answer) is then refused by Proxmox instead of removing the rule that
// moved into its position, which may be somebody else's, and a change
// whose answer was lost shows in the next read.
func (s *harden) syncRules(ctx context.Context, st *run.Step, c *proxmox.Client, changes []ruleChange) error {
	if st.DryRun() {
		for _, ch := range changes {
			if err := st.Mutate(ctx, ch.mutation(), nil); !sentOrPlanned(err) {
				return err
			}
		}
		return nil
	}
	want := s.env.desiredRules()
	failed := 0
	for {
		seen, digest, err := readRules(ctx, c)
		if err != nil {
			return err
		}
		ch, ok := nextRuleChange(seen, want)
		if !ok {
			return nil
		}
		err = st.Mutate(ctx, ch.mutation(), func(ctx context.Context) error { return sendRuleChange(ctx, c, ch, digest) })
		if err == nil {
			failed = 0
			continue
		}
		if failed++; failed >= ruleFailures || ctx.Err() != nil {
			return err
		}
		st.Progress("datacenter firewall: %v; reading the rules again", err)
	}
}

func sendRuleChange(ctx context.Context, c *proxmox.Client, ch ruleChange, digest string) error {
	if ch.Delete {
		return c.Delete(ctx, fmt.Sprintf("%s/%d?digest=%s", pathClusterFWRules, ch.Pos, digest))
	}
	p := ch.Rule.params(ch.Pos)
	if digest != "" {
		p["digest"] = digest
	}
	_, err := c.Post(ctx, pathClusterFWRules, p)
	return err
}

// readRules reads the datacenter's rules, top first, and the digest of
// the configuration they were read from ("" when there are none).
func readRules(ctx context.Context, c *proxmox.Client) ([]fwRule, string, error) {
	list, err := c.ReadList(ctx, pathClusterFWRules)
	if err != nil {
		return nil, "", fmt.Errorf("failed to read the datacenter firewall rules: %w", err)
	}
	seen := make([]fwRule, 0, len(list))
	digest := ""
	for _, m := range list {
		seen = append(seen, observedRule(m))
		if d, ok := m["digest"].(string); ok {
			digest = d
		}
	}
	return seen, digest, nil
}

// observeFirewall reads the datacenter's rules and options.
func observeFirewall(ctx context.Context, c *proxmox.Client) ([]fwRule, map[string]any, error) {
	seen, _, err := readRules(ctx, c)
	if err != nil {
		return nil, nil, err
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
		errs = append(errs, checkHostAccess(ctx, f, h.Name, when))
	}
	return errors.Join(errs...)
}

// checkHostAccess opens a new SSH and a new API connection to host.
func checkHostAccess(ctx context.Context, f *proxmox.Fleet, host, when string) error {
	var errs []error
	p, err := f.ProbeSSH(ctx, host)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("%s: %w", host, err))
	case !p.KeyWorks:
		errs = append(errs, fmt.Errorf("a new SSH connection to %s with tripod's key fails %s: %w", host, when, p.KeyErr))
	}
	if err := f.ProbeAPI(ctx, host); err != nil {
		errs = append(errs, fmt.Errorf("a new connection to %s's Proxmox API fails %s: %w", host, when, err))
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
