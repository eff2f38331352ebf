package proxmox

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// shell is the one command interpreter behind both SSH exec requests and the
// termproxy terminal: a small subset of bash (sequences with && || and ;,
// `yes |`, variables and NAME=value prefixes, redirections to /dev/null and
// to the host's files, $?, exit, [) running the host commands the simulator
// models. Every command is counted in the request log under simcore.APISSH;
// unknown ones fail with bash's 127 and are recorded as errors. A hook
// script (host_hooks.go) runs in a child shell limited to the commands its
// lines may use, whose commands are the script's, not requests.
type shell struct {
	c    *Cluster
	host string
	last int               // $?
	vars map[string]string // shell and environment variables
	done bool              // exit ran: the rest of the line or script is skipped

	hook    bool            // a hook script's shell: nothing is recorded
	allowed map[string]bool // in a hook, the only commands it may run (nil: all)
	toFile  bool            // the running command's stdout goes to a file
}

// hostCommand runs one modelled command: args[0] is its name.
type hostCommand func(ctx context.Context, sh *shell, args []string, out, errw io.Writer) int

func (c *Cluster) newShell(host string) *shell {
	return &shell{c: c, host: host, vars: map[string]string{}}
}

// run executes a command line and returns its exit status.
func (sh *shell) run(ctx context.Context, line string, out, errw io.Writer) int {
	status := sh.last
	for i, seg := range splitSequence(line) {
		if sh.done {
			break
		}
		if i > 0 && seg.op == "&&" && status != 0 {
			continue
		}
		if i > 0 && seg.op == "||" && status == 0 {
			continue
		}
		status = sh.runSimple(ctx, seg.cmd, out, errw)
		sh.last = status
	}
	return status
}

type segment struct{ op, cmd string }

// splitSequence splits on ; && || outside quotes.
func splitSequence(line string) []segment {
	var segs []segment
	var cur strings.Builder
	op := ""
	quote := rune(0)
	runes := []rune(line)
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote = r
			cur.WriteRune(r)
		case r == ';' || r == '\n':
			segs, op = append(segs, segment{op, cur.String()}), ";"
			cur.Reset()
		case (r == '&' || r == '|') && i+1 < len(runes) && runes[i+1] == r:
			segs, op = append(segs, segment{op, cur.String()}), string([]rune{r, r})
			cur.Reset()
			i++
		default:
			cur.WriteRune(r)
		}
	}
	segs = append(segs, segment{op, cur.String()})
	var out []segment
	for _, s := range segs {
		if strings.TrimSpace(s.cmd) != "" {
			out = append(out, s)
		}
	}
	return out
}

func (sh *shell) runSimple(ctx context.Context, cmd string, out, errw io.Writer) int {
	words := sh.tokenize(cmd)
	if i := indexWord(words, "|"); i >= 0 {
		if i == 1 && words[0].text == "yes" {
			words = words[2:]
		} else {
			return sh.unmodelled(cmd, errw, "the simulator does not model pipelines: "+cmd, 2)
		}
	}
	env, words := assignments(words)
	redirs, args, err := redirections(words)
	if err != nil {
		return sh.unmodelled(cmd, errw, "bash: "+err.Error(), 2)
	}
	if len(args) == 0 {
		for k, v := range env {
			sh.vars[k] = v
		}
		return 0
	}
	out, errw, finish, status := sh.redirect(redirs, out, errw)
	if status != 0 {
		return status
	}
	sh.toFile = redirs.stdoutFile != ""
	status = sh.dispatch(ctx, cmd, args, env, out, errw)
	sh.toFile = false
	return finish(status)
}

// dispatch runs the builtins, a script by its path, or a modelled command.
func (sh *shell) dispatch(ctx context.Context, cmd string, args []string, env map[string]string, out, errw io.Writer) int {
	switch args[0] {
	case "true", ":":
		return 0
	case "false":
		return 1
	case "echo":
		fmt.Fprintln(out, strings.Join(args[1:], " "))
		return 0
	case "exit":
		return sh.exit(args, errw)
	case "[":
		return sh.test(cmd, args, errw)
	}
	name := args[0]
	if strings.Contains(name, "/") {
		if base, ok := binaryPath(name); ok {
			name = base
		} else {
			return sh.runScript(ctx, name, env, out, errw)
		}
	}
	f := hostCommands[name]
	if f == nil || (sh.allowed != nil && !sh.allowed[name]) {
		return sh.unmodelled(cmd, errw, "bash: "+args[0]+": command not found", 127)
	}
	args = append([]string{name}, args[1:]...)
	return f(ctx, sh, args, out, errw)
}

// exit ends the line (or the script) with its status.
func (sh *shell) exit(args []string, errw io.Writer) int {
	sh.done = true
	if len(args) < 2 {
		return sh.last
	}
	n, err := strconv.Atoi(args[1])
	if err != nil {
		fmt.Fprintf(errw, "bash: exit: %s: numeric argument required\n", args[1])
		return 2
	}
	return n & 0xff
}

// test is the [ builtin: string (in)equality, -n, -z and a lone word.
func (sh *shell) test(cmd string, args []string, errw io.Writer) int {
	if args[len(args)-1] != "]" {
		fmt.Fprintln(errw, "bash: [: missing `]'")
		return 2
	}
	a := args[1 : len(args)-1]
	truth := func(b bool) int {
		if b {
			return 0
		}
		return 1
	}
	switch {
	case len(a) == 0:
		return 1
	case len(a) == 1:
		return truth(a[0] != "")
	case len(a) == 2 && a[0] == "-n":
		return truth(a[1] != "")
	case len(a) == 2 && a[0] == "-z":
		return truth(a[1] == "")
	case len(a) == 3 && (a[1] == "=" || a[1] == "=="):
		return truth(a[0] == a[2])
	case len(a) == 3 && a[1] == "!=":
		return truth(a[0] != a[2])
	case len(a) == 2:
		fmt.Fprintf(errw, "bash: [: %s: unary operator expected\n", a[0])
		return 2
	}
	return sh.unmodelled(cmd, errw, "bash: [: the simulator does not model this test", 2)
}

func (sh *shell) unmodelled(cmd string, errw io.Writer, msg string, status int) int {
	sh.c.env.Log.Error(simcore.APISSH, "unmodelled", sh.host+": "+cmd)
	sh.c.env.Log.Record(simcore.APISSH, "UNMODELLED", false, strconv.Itoa(status))
	fmt.Fprintln(errw, msg)
	return status
}

// record counts a modelled command in the request log; a hook script's
// commands are not requests.
func (sh *shell) record(route string, mutating bool, status int) int {
	if !sh.hook {
		sh.c.env.Log.Record(simcore.APISSH, route, mutating, strconv.Itoa(status))
	}
	return status
}

// withNode runs f under the cluster lock with the shell's node, settled.
func (sh *shell) withNode(f func(n *node) int) int {
	unlock := sh.c.lockSettled()
	defer unlock()
	n := sh.c.nodes[sh.host]
	if n == nil {
		return 255
	}
	return f(n)
}

func indexWord(list []word, s string) int {
	for i, x := range list {
		if x.text == s && !x.quoted {
			return i
		}
	}
	return -1
}

var hostCommands map[string]hostCommand

func init() {
	hostCommands = map[string]hostCommand{
		"hostname":   cmdHostname,
		"pveversion": cmdPveversion,
		"ping":       cmdPing,
		"pveceph":    cmdPveceph,
		"ceph":       cmdCeph,
		"rados":      cmdRados,
		"printf":     cmdPrintf,
		"cat":        cmdCat,
		"chmod":      cmdChmod,
		"sysctl":     cmdSysctl,
		"iptables":   cmdIptables,
		"systemctl":  cmdSystemctl,
	}
}

func cmdHostname(_ context.Context, sh *shell, _ []string, out, _ io.Writer) int {
	fmt.Fprintln(out, sh.host)
	return sh.record("hostname", false, 0)
}

func cmdPveversion(_ context.Context, sh *shell, _ []string, out, _ io.Writer) int {
	fmt.Fprintf(out, "pve-manager/%s/%s (running kernel: 6.8.12-9-pve)\n", sh.c.Version, sh.c.repoID()[:16])
	return sh.record("pveversion", false, 0)
}
