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

// Host NAT: with network.gateway unset, each VM routes through its own
// host's private address (inventory.VMPlan.Gateway), so each host forwards
// and masquerades the private subnet out of its public bridge. The setting
// lives in an ifupdown hook, so it survives a reboot (ifupdown runs it when
// the public bridge comes up), and writing the hook also runs it, so the
// live settings (forwarding, the rule) are in place at once.
//
// Why one gateway per host and not one per AZ (a VRRP address): a VM dies
// with its host anyway, so routing through that same host loses no VM its
// egress while the VM itself runs, and needs no keepalived on the hosts;
// an AZ's egress never depends on another AZ's host either way.

// The hook, its uplink and the target it is configured by.
const (
	egressHook = "/etc/network/if-up.d/tripod-egress"
	// egressUplink is the host's public bridge, which the Proxmox VE
	// install on Scaleway names vmbr0.
	egressUplink = "vmbr0"
	// egressTargetPrefix names a host's NAT target: egress/<host>.
	egressTargetPrefix = "egress/"
)

// Read-only observations of a host's NAT.
const (
	cmdCatEgressHook = "cat " + egressHook
	cmdForwarding    = "sysctl -n net.ipv4.ip_forward"
	cmdNATRules      = "iptables -t nat -S POSTROUTING"
)

func egressTarget(host string) string { return egressTargetPrefix + host }

// egressRule is the MASQUERADE rule for subnet, as iptables -S prints it
// after "-A POSTROUTING" (and as iptables -C/-A take it).
func egressRule(subnet string) string {
	return fmt.Sprintf("-s %s ! -d %s -o %s -j MASQUERADE", subnet, subnet, egressUplink)
}

// egressHookLines is the hook for cluster, line by line.
func egressHookLines(cluster, subnet string) []string {
	rule := "iptables -t nat %s POSTROUTING " + egressRule(subnet)
	return []string{
		"#!/bin/sh",
		fmt.Sprintf("# tripod: egress for the VMs of cluster %s (managed by tripod; do not edit)", cluster),
		fmt.Sprintf(`[ "$IFACE" = "%s" ] || exit 0`, egressUplink),
		"sysctl -qw net.ipv4.ip_forward=1",
		fmt.Sprintf(rule, "-C") + " 2>/dev/null || " + fmt.Sprintf(rule, "-A"),
	}
}

// egressHookText is the hook file's content, as cat prints it.
func egressHookText(lines []string) string { return strings.Join(lines, "\n") + "\n" }

// egressWriteCmd writes the hook: one printf, each line single-quoted. A
// line holding a single quote cannot be quoted so and is refused
// (tripod's own lines never hold one).
func egressWriteCmd(lines []string) (string, error) {
	var b strings.Builder
	b.WriteString("printf '%s\\n'")
	for _, l := range lines {
		if strings.Contains(l, "'") {
			return "", fmt.Errorf("the egress hook's line %q holds a single quote, which the command cannot quote", l)
		}
		b.WriteString(" '" + l + "'")
	}
	fmt.Fprintf(&b, " > %s", egressHook)
	return b.String(), nil
}

// egressCmd is one host command of the hook's setup, one request each, so
// that plan lists exactly what up sends.
type egressCmd struct {
	verb, request, cmd string
}

// egressCommands put the hook in place (when write) and in force: make it
// executable and run it as ifupdown would for the uplink, which sets the
// live forwarding and rule at once.
func egressCommands(lines []string, write bool) ([]egressCmd, error) {
	var out []egressCmd
	if write {
		cmd, err := egressWriteCmd(lines)
		if err != nil {
			return nil, err
		}
		out = append(out, egressCmd{"write", "printf", cmd})
	}
	return append(out,
		egressCmd{"make executable", "chmod", "chmod 0755 " + egressHook},
		egressCmd{"run", egressHook, fmt.Sprintf("IFACE=%s %s", egressUplink, egressHook)}), nil
}

// egressSeen is a host's NAT as observed.
type egressSeen struct {
	hook       string // the hook's content; "" when absent
	hookExists bool
	forwarding bool
	masquerade bool
}

// parseForwarding reads `sysctl -n net.ipv4.ip_forward`.
func parseForwarding(out string) (bool, error) {
	switch strings.TrimSpace(out) {
	case "1":
		return true, nil
	case "0":
		return false, nil
	}
	return false, fmt.Errorf("`%s` printed %q, not 0 or 1", cmdForwarding, strings.TrimSpace(out))
}

// hasMasquerade reports whether `iptables -t nat -S POSTROUTING` lists the
// rule for subnet.
func hasMasquerade(out, subnet string) bool {
	want := "-A POSTROUTING " + egressRule(subnet)
	for _, l := range strings.Split(out, "\n") {
		if strings.Join(strings.Fields(l), " ") == want {
			return true
		}
	}
	return false
}

// differences names what keeps seen from wantHook, or nothing when the
// host's NAT is in place.
func (s egressSeen) differences(wantHook string) []string {
	var out []string
	switch {
	case !s.hookExists:
		out = append(out, egressHook+" is missing")
	case s.hook != wantHook:
		out = append(out, egressHook+" differs from tripod's")
	}
	if !s.forwarding {
		out = append(out, "net.ipv4.ip_forward is 0")
	}
	if !s.masquerade {
		out = append(out, "no MASQUERADE rule out of "+egressUplink)
	}
	return out
}

// observeEgress reads host's hook, forwarding and NAT rules, read-only.
func (e *Env) observeEgress(ctx context.Context, st *run.Step, host, subnet string) (egressSeen, error) {
	n := e.node(st, host)
	var s egressSeen
	hook, err := n.Observe(ctx, cmdCatEgressHook)
	var hce *proxmox.HostCommandError
	switch {
	case errors.As(err, &hce) && hce.Exit == 1:
		// cat: ...: No such file or directory
	case err != nil:
		return s, fmt.Errorf("failed to read %s on %s: %w", egressHook, host, err)
	default:
		s.hook, s.hookExists = hook, true
	}
	fwd, err := n.Observe(ctx, cmdForwarding)
	if err == nil {
		s.forwarding, err = parseForwarding(fwd)
	}
	if err != nil {
		return s, fmt.Errorf("failed to read %s's forwarding setting: %w", host, err)
	}
	rules, err := n.Observe(ctx, cmdNATRules)
	if err != nil {
		return s, fmt.Errorf("failed to read %s's NAT rules: %w", host, err)
	}
	s.masquerade = hasMasquerade(rules, subnet)
	return s, nil
}

// egressMutation is one command of h's hook setup through the gate.
func (e *Env) egressMutation(h inventory.HostPlan, c egressCmd, why []string) run.Mutation {
	subnet := e.Cluster().Network.Subnet.Masked().String()
	detail := fmt.Sprintf("%s %s (mode 0755): forwarding, and MASQUERADE of %s out of %s, now and at every boot", c.verb, egressHook, subnet, egressUplink)
	if len(why) > 0 {
		detail += "; " + strings.Join(why, ", ")
	}
	return run.Mutation{API: "ssh", Verb: c.verb, Object: "egress NAT of " + h.Name, Detail: detail, Request: c.request}
}

// egress makes host h forward and masquerade the VMs' subnet out of its
// public bridge, persistently, acting only on a difference: the hook is
// written when it is missing or differs, and run whenever something is not
// in force.
func (s *network) egress(ctx context.Context, st *run.Step, h inventory.HostPlan) error {
	e := s.env
	c := e.Cluster()
	subnet := c.Network.Subnet.Masked().String()
	lines := egressHookLines(c.Name, subnet)
	want := egressHookText(lines)
	seen, err := e.observeEgress(ctx, st, h.Name, subnet)
	if err != nil {
		return err
	}
	why := seen.differences(want)
	if len(why) == 0 {
		st.Skip("%s forwards and masquerades %s out of %s (%s in place)", h.Name, subnet, egressUplink, egressHook)
		return nil
	}
	st.Progress("%s: %s", h.Name, strings.Join(why, ", "))
	cmds, err := egressCommands(lines, !seen.hookExists || seen.hook != want)
	if err != nil {
		return err
	}
	for _, cmd := range cmds {
		if err := e.pveCommand(ctx, st, e.egressMutation(h, cmd, why), h.Name, cmd.cmd); err != nil {
			return err
		}
	}
	after, err := e.observeEgress(ctx, st, h.Name, subnet)
	if err != nil {
		return err
	}
	if left := after.differences(want); len(left) > 0 {
		return fmt.Errorf("%s ran %s, yet %s: check iptables and sysctl on the host", h.Name, egressHook, strings.Join(left, ", "))
	}
	return nil
}

// planEgress lists, for a host not installed yet, its hook written from
// nothing.
func (e *Env) planEgress(ctx context.Context, st *run.Step, h inventory.HostPlan) error {
	c := e.Cluster()
	cmds, err := egressCommands(egressHookLines(c.Name, c.Network.Subnet.Masked().String()), true)
	if err != nil {
		return err
	}
	ms := make([]run.Mutation, 0, len(cmds))
	for _, cmd := range cmds {
		ms = append(ms, e.egressMutation(h, cmd, nil))
	}
	return planOnly(ctx, st, ms...)
}
