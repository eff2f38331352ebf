package proxmox

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// shell is the one command interpreter behind both SSH exec requests and the
// termproxy terminal: a small subset of bash (sequences with && and ;,
// `yes |`, harmless redirections, $?) running the host commands the
// simulator models. Every command is counted in the request log under
// simcore.APISSH; unknown ones fail with bash's 127 and are recorded as errors.
type shell struct {
	c    *Cluster
	host string
	last int // $?
}

// hostCommand runs one modelled command: args[0] is its name.
type hostCommand func(ctx context.Context, sh *shell, args []string, out, errw io.Writer) int

var redirect = regexp.MustCompile(`^([0-9]*>>?&?[0-9]*|[0-9]*>>?/dev/null|<\S*)$`)

func (c *Cluster) newShell(host string) *shell { return &shell{c: c, host: host} }

// run executes a command line and returns its exit status.
func (sh *shell) run(ctx context.Context, line string, out, errw io.Writer) int {
	status := 0
	for i, seg := range splitSequence(line) {
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

// tokenize splits a simple command into words, honouring quotes and
// expanding $?.
func (sh *shell) tokenize(cmd string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	quote := rune(0)
	for _, r := range strings.ReplaceAll(cmd, "$?", strconv.Itoa(sh.last)) {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

func (sh *shell) runSimple(ctx context.Context, cmd string, out, errw io.Writer) int {
	words := sh.tokenize(cmd)
	if i := index(words, "|"); i >= 0 {
		if i == 1 && words[0] == "yes" {
			words = words[2:]
		} else {
			return sh.unmodelled(cmd, errw, "the simulator does not model pipelines: "+cmd, 2)
		}
	}
	var args []string
	for _, w := range words {
		if redirect.MatchString(w) || (len(args) == 0 && strings.Contains(w, "=") && !strings.HasPrefix(w, "-")) {
			continue
		}
		args = append(args, w)
	}
	if len(args) == 0 {
		return 0
	}
	switch args[0] {
	case "true", ":":
		return 0
	case "false":
		return 1
	case "echo":
		fmt.Fprintln(out, strings.Join(args[1:], " "))
		return 0
	}
	f := hostCommands[args[0]]
	if f == nil {
		return sh.unmodelled(cmd, errw, "bash: "+args[0]+": command not found", 127)
	}
	return f(ctx, sh, args, out, errw)
}

func (sh *shell) unmodelled(cmd string, errw io.Writer, msg string, status int) int {
	sh.c.env.Log.Error(simcore.APISSH, "unmodelled", sh.host+": "+cmd)
	sh.c.env.Log.Record(simcore.APISSH, "UNMODELLED", false, strconv.Itoa(status))
	fmt.Fprintln(errw, msg)
	return status
}

// record counts a modelled command in the request log.
func (sh *shell) record(route string, mutating bool, status int) int {
	sh.c.env.Log.Record(simcore.APISSH, route, mutating, strconv.Itoa(status))
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

func index(list []string, s string) int {
	for i, x := range list {
		if x == s {
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
