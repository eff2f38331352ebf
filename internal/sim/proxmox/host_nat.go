package proxmox

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// kernelState is a host's live network settings: IP forwarding and the nat
// table's POSTROUTING rules. It is saved with the host (a simulator restart
// is not a reboot) and lost when the host reboots; the hooks in
// /etc/network/if-up.d/ bring it back at boot (host_hooks.go).
type kernelState struct {
	IPForward bool     `json:"ip_forward,omitempty"`
	NAT       []string `json:"nat_postrouting,omitempty"` // rule specs as iptables -S prints them after "-A POSTROUTING "
}

func (n *node) kernel() *kernelState {
	if n.Kernel == nil {
		n.Kernel = &kernelState{}
	}
	return n.Kernel
}

func (k *kernelState) forwardValue() string {
	if k.IPForward {
		return "1"
	}
	return "0"
}

const ipForwardKey = "net.ipv4.ip_forward"

// cmdSysctl is procps sysctl for the one key the simulator models,
// net.ipv4.ip_forward: read (-n for the value alone), write with -w or
// KEY=VALUE (-q for no echo).
func cmdSysctl(_ context.Context, sh *shell, args []string, out, errw io.Writer) int {
	valueOnly, quiet, write := false, false, false
	var keys []string
	for _, a := range args[1:] {
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			for _, f := range a[1:] {
				switch f {
				case 'n':
					valueOnly = true
				case 'q':
					quiet = true
				case 'w':
					write = true
				case 'e':
				default:
					return sh.unmodelled(strings.Join(args, " "), errw, "sysctl: the simulator does not model option -"+string(f), 255)
				}
			}
			continue
		}
		keys = append(keys, a)
	}
	route, mutating := "sysctl", false
	for _, k := range keys {
		if strings.Contains(k, "=") {
			route, mutating = "sysctl -w", true
		}
	}
	for _, k := range keys {
		key, val, isWrite := strings.Cut(k, "=")
		key = strings.ReplaceAll(key, "/", ".")
		if key != ipForwardKey {
			return sh.unmodelled(strings.Join(args, " "), errw, "sysctl: the simulator does not model "+key, 255)
		}
		if write && !isWrite {
			fmt.Fprintf(errw, "sysctl: \"%s\" must be of the form name=value\n", key)
			return sh.record(route, mutating, 255)
		}
		status := sh.withNode(func(n *node) int {
			kst := n.kernel()
			if isWrite {
				if val != "0" && val != "1" {
					fmt.Fprintf(errw, "sysctl: setting key \"%s\": Invalid argument\n", key)
					return 255
				}
				kst.IPForward = val == "1"
				if quiet {
					return 0
				}
			}
			if valueOnly {
				fmt.Fprintln(out, kst.forwardValue())
			} else {
				fmt.Fprintf(out, "%s = %s\n", key, kst.forwardValue())
			}
			return 0
		})
		if status != 0 {
			return sh.record(route, mutating, status)
		}
	}
	return sh.record(route, mutating, 0)
}

// gatewayHost is the fleet's answer to simcore.Gateways: the host holding
// address on an active private interface, with its forwarding and its
// MASQUERADE rules.
func (c *Cluster) gatewayHost(address string) (simcore.GatewayHost, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.nodeList() {
		if address == n.Info.PublicIP || !n.Net.hasAddress(address) {
			continue
		}
		h := simcore.GatewayHost{Host: n.Info.Hostname, Placement: n.Info.Placement, Forwarding: n.kernel().IPForward}
		for _, name := range sortedIfaces(n.Net.Running) {
			if i := n.Net.Running[name]; i.Address == n.Info.PublicIP && n.Net.active(name) {
				h.Uplink = name
			}
		}
		for _, spec := range n.kernel().NAT {
			if r, ok := masqueradeOf(spec); ok {
				h.Masquerade = append(h.Masquerade, r)
			}
		}
		return h, true
	}
	return simcore.GatewayHost{}, false
}

// masqueradeOf reads a canonical rule spec back as the rule it matches.
func masqueradeOf(spec string) (simcore.MasqueradeRule, bool) {
	r, err := parseRule(strings.Fields(spec))
	if err != nil || r.target != "MASQUERADE" {
		return simcore.MasqueradeRule{}, false
	}
	return r.MasqueradeRule, true
}

// rule is one parsed iptables rule specification.
type rule struct {
	simcore.MasqueradeRule
	target string
}

// unmodelledRule is a rule shape the simulator does not interpret.
type unmodelledRule struct{ what string }

func (e unmodelledRule) Error() string { return e.what }

// badRule is iptables' own refusal of an argument (exit 2).
type badRule struct{ msg string }

func (e badRule) Error() string { return e.msg }

// parseRule reads -s, -d, -o (each may follow !) and -j.
func parseRule(words []string) (rule, error) {
	var r rule
	neg := false
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "!" {
			neg = true
			continue
		}
		if i+1 >= len(words) {
			return r, badRule{fmt.Sprintf("iptables v1.8.9 (nf_tables): option \"%s\" requires an argument", w)}
		}
		val := words[i+1]
		i++
		switch w {
		case "-s", "--source", "-d", "--destination":
			p, err := parsePrefix(val)
			if err != nil {
				return r, err
			}
			if w == "-s" || w == "--source" {
				r.Source, r.NotSource = p, neg
			} else {
				r.Dest, r.NotDest = p, neg
			}
		case "-o", "--out-interface":
			r.Out, r.NotOut = val, neg
		case "-j", "--jump":
			if neg {
				return r, badRule{"iptables v1.8.9 (nf_tables): cannot have ! before -j"}
			}
			r.target = val
		default:
			return r, unmodelledRule{"the simulator does not model the iptables option " + w}
		}
		neg = false
	}
	if r.target != "MASQUERADE" {
		return r, unmodelledRule{"the simulator models only -j MASQUERADE rules"}
	}
	return r, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil && p.Addr().Is4() {
		return p.Masked(), nil
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Is4() {
		return netip.PrefixFrom(a, 32), nil
	}
	return netip.Prefix{}, badRule{fmt.Sprintf("iptables v1.8.9 (nf_tables): host/network `%s' not found", s)}
}

// spec is the rule as iptables -S prints it.
func (r rule) spec() string {
	var parts []string
	add := func(neg bool, opt, val string) {
		if neg {
			parts = append(parts, "!")
		}
		parts = append(parts, opt, val)
	}
	if r.Source.IsValid() {
		add(r.NotSource, "-s", r.Source.String())
	}
	if r.Dest.IsValid() {
		add(r.NotDest, "-d", r.Dest.String())
	}
	if r.Out != "" {
		add(r.NotOut, "-o", r.Out)
	}
	add(false, "-j", r.target)
	return strings.Join(parts, " ")
}
