package proxmox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// natChains are the nat table's built-in chains, in iptables -S order.
var natChains = []string{"PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"}

const badRuleText = "iptables: Bad rule (does a matching rule exist in that chain?)."

// cmdIptables is iptables (nf_tables backend, as Debian 12 ships it) for
// the nat table: -S lists a chain (or all) in iptables-save syntax; -C, -A,
// -I and -D check, append, insert and delete MASQUERADE rules of
// POSTROUTING, with iptables' exit codes and messages (1 for a rule that is
// not there, 2 for a bad argument). Other tables, chains and rule shapes
// are unmodelled.
func cmdIptables(_ context.Context, sh *shell, args []string, out, errw io.Writer) int {
	line := strings.Join(args, " ")
	table, cmd, chain := "filter", "", ""
	var rest []string
	for i := 1; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-t" && i+1 < len(args):
			table = args[i+1]
			i++
		case cmd == "" && slices.Contains([]string{"-S", "-C", "-A", "-D", "-I"}, a):
			cmd = a
			if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				chain = args[i+1]
				i++
			}
		case a == "-w" || a == "--wait":
		default:
			rest = append(rest, a)
		}
	}
	route := "iptables " + cmd
	mutating := cmd == "-A" || cmd == "-D" || cmd == "-I"
	switch {
	case cmd == "":
		return sh.unmodelled(line, errw, "iptables: the simulator models only -S, -C, -A, -I and -D", 2)
	case table != "nat":
		return sh.unmodelled(line, errw, "iptables: the simulator models only the nat table", 2)
	case chain != "" && !slices.Contains(natChains, chain):
		fmt.Fprintln(errw, "iptables: No chain/target/match by that name.")
		return sh.record(route, mutating, 1)
	case cmd == "-S":
		if len(rest) > 0 {
			return sh.unmodelled(line, errw, "iptables: the simulator does not model -S with a rule number", 2)
		}
		return sh.record(route, false, sh.withNode(func(n *node) int { listNAT(n, chain, out); return 0 }))
	case chain == "":
		fmt.Fprintf(errw, "iptables v1.8.9 (nf_tables): option \"%s\" requires an argument\n", cmd)
		return sh.record(route, mutating, 2)
	case chain != "POSTROUTING":
		return sh.unmodelled(line, errw, "iptables: the simulator models rules of POSTROUTING only", 2)
	}
	pos := 0
	if (cmd == "-I" || cmd == "-D") && len(rest) > 0 {
		if n, err := strconv.Atoi(rest[0]); err == nil {
			pos, rest = n, rest[1:]
		}
	}
	var spec string
	if !(cmd == "-D" && pos > 0) {
		r, err := parseRule(rest)
		var um unmodelledRule
		if errors.As(err, &um) {
			return sh.unmodelled(line, errw, "iptables: "+um.what, 2)
		}
		if err != nil {
			fmt.Fprintln(errw, err.Error())
			return sh.record(route, mutating, 2)
		}
		spec = r.spec()
	}
	status := sh.withNode(func(n *node) int { return editNAT(n.kernel(), cmd, pos, spec, errw) })
	return sh.record(route, mutating, status)
}

// listNAT prints the chain's policy and rules (every chain without one).
func listNAT(n *node, chain string, out io.Writer) {
	for _, c := range natChains {
		if chain == "" || chain == c {
			fmt.Fprintf(out, "-P %s ACCEPT\n", c)
		}
	}
	if chain == "" || chain == "POSTROUTING" {
		for _, s := range n.kernel().NAT {
			fmt.Fprintf(out, "-A POSTROUTING %s\n", s)
		}
	}
}

// editNAT carries out -C, -A, -I or -D on POSTROUTING. -A appends even a
// rule that is already there, as iptables does.
func editNAT(k *kernelState, cmd string, pos int, spec string, errw io.Writer) int {
	idx := slices.Index(k.NAT, spec)
	switch cmd {
	case "-C":
		if idx < 0 {
			fmt.Fprintln(errw, badRuleText)
			return 1
		}
	case "-A":
		k.NAT = append(k.NAT, spec)
	case "-I":
		if pos == 0 {
			pos = 1
		}
		if pos > len(k.NAT)+1 {
			fmt.Fprintln(errw, "iptables: Index of insertion too big.")
			return 1
		}
		k.NAT = slices.Insert(k.NAT, pos-1, spec)
	case "-D":
		if pos > 0 {
			if pos > len(k.NAT) {
				fmt.Fprintln(errw, "iptables: Index of deletion too big.")
				return 1
			}
			idx = pos - 1
		}
		if idx < 0 {
			fmt.Fprintln(errw, badRuleText)
			return 1
		}
		k.NAT = slices.Delete(k.NAT, idx, idx+1)
	}
	return 0
}
