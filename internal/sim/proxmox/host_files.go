package proxmox

import (
	"context"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"
)

// hostFile is one regular file a command wrote on the host's disk. Files
// persist with the host (saved with the node) and go with a reinstall.
type hostFile struct {
	Data string `json:"data"`
	Mode uint32 `json:"mode"` // permission bits, 0o644 for a new file (umask 022)
}

// hostDirs are the directories of a Proxmox VE install a command may write
// files into. /etc/pve (pmxcfs), /proc and /sys are modelled elsewhere or
// not at all, and a write there is reported as unmodelled.
var hostDirs = map[string]bool{
	"/etc": true, "/etc/network": true, "/etc/network/if-up.d": true, "/etc/network/if-down.d": true,
	"/etc/network/if-pre-up.d": true, "/etc/network/if-post-down.d": true, "/etc/network/interfaces.d": true,
	"/etc/sysctl.d": true, "/etc/ssh": true, "/etc/ssh/sshd_config.d": true, "/etc/default": true, "/etc/systemd/system": true,
	"/root": true, "/tmp": true, "/var/tmp": true, "/usr/local/bin": true, "/usr/local/sbin": true,
}

// hostPath makes p absolute (root's shell starts in /root) and clean.
func hostPath(p string) string {
	if !strings.HasPrefix(p, "/") {
		p = "/root/" + p
	}
	return path.Clean(p)
}

func unmodelledPath(p string) bool {
	for _, pre := range []string{"/etc/pve/", "/proc/", "/sys/", "/dev/"} {
		if strings.HasPrefix(p+"/", pre) {
			return true
		}
	}
	return false
}

// openFile is bash opening a redirection's target: created with mode 0644,
// or truncated (kept, with append), before the command runs.
func (sh *shell) openFile(p string, appendTo bool, errw io.Writer) int {
	if unmodelledPath(p) {
		return sh.unmodelled("> "+p, errw, "bash: "+p+": the simulator does not model writing this file", 1)
	}
	return sh.withNode(func(n *node) int {
		switch {
		case hostDirs[p]:
			fmt.Fprintf(errw, "bash: %s: Is a directory\n", p)
			return 1
		case !hostDirs[path.Dir(p)]:
			fmt.Fprintf(errw, "bash: %s: No such file or directory\n", p)
			return 1
		}
		if n.Files == nil {
			n.Files = map[string]*hostFile{}
		}
		f := n.Files[p]
		if f == nil {
			n.Files[p] = &hostFile{Mode: 0o644}
		} else if !appendTo {
			f.Data = ""
		}
		return 0
	})
}

// writeFile appends what a command wrote to a file openFile opened.
func (sh *shell) writeFile(p, data string) {
	sh.withNode(func(n *node) int {
		if f := n.Files[p]; f != nil {
			f.Data += data
		}
		return 0
	})
}

// cmdPrintf is bash's printf: the format is reused until the arguments are
// used up, with %s, %d, %% and the backslash escapes \n \t \\.
func cmdPrintf(_ context.Context, sh *shell, args []string, out, errw io.Writer) int {
	if len(args) < 2 {
		fmt.Fprintln(errw, "printf: usage: printf [-v var] format [arguments]")
		return sh.record("printf", sh.toFile, 2)
	}
	format, rest := args[1], args[2:]
	var b strings.Builder
	for first := true; first || len(rest) > 0; first = false {
		used := printfOnce(&b, format, &rest)
		if !used {
			break
		}
	}
	fmt.Fprint(out, b.String())
	return sh.record("printf", sh.toFile, 0)
}

// printfOnce renders the format once, taking arguments from rest; it
// reports whether the format consumed any.
func printfOnce(b *strings.Builder, format string, rest *[]string) bool {
	used := false
	next := func() string {
		if len(*rest) == 0 {
			return ""
		}
		used = true
		v := (*rest)[0]
		*rest = (*rest)[1:]
		return v
	}
	for i := 0; i < len(format); i++ {
		c := format[i]
		switch {
		case c == '\\' && i+1 < len(format):
			i++
			b.WriteString(map[byte]string{'n': "\n", 't': "\t", '\\': "\\", 'r': "\r"}[format[i]])
		case c == '%' && i+1 < len(format):
			i++
			switch format[i] {
			case 's':
				b.WriteString(next())
			case 'd':
				n, _ := strconv.Atoi(next())
				b.WriteString(strconv.Itoa(n))
			case '%':
				b.WriteByte('%')
			}
		default:
			b.WriteByte(c)
		}
	}
	return used
}

// cmdCat prints files; /proc/sys/net/ipv4/ip_forward is the live setting.
func cmdCat(_ context.Context, sh *shell, args []string, out, errw io.Writer) int {
	status := sh.withNode(func(n *node) int {
		st := 0
		for _, a := range args[1:] {
			p := hostPath(a)
			switch f := n.Files[p]; {
			case p == "/proc/sys/net/ipv4/ip_forward":
				fmt.Fprintln(out, n.kernel().forwardValue())
			case f != nil:
				fmt.Fprint(out, f.Data)
			case hostDirs[p]:
				fmt.Fprintf(errw, "cat: %s: Is a directory\n", a)
				st = 1
			default:
				fmt.Fprintf(errw, "cat: %s: No such file or directory\n", a)
				st = 1
			}
		}
		return st
	})
	return sh.record("cat", false, status)
}

// cmdChmod sets a file's permission bits: an octal mode, or +x, u+x, a+x.
func cmdChmod(_ context.Context, sh *shell, args []string, _, errw io.Writer) int {
	if len(args) < 3 {
		fmt.Fprintln(errw, "chmod: missing operand")
		return sh.record("chmod", true, 1)
	}
	mode := args[1]
	set, err := strconv.ParseUint(mode, 8, 32)
	symbolic := map[string]uint32{"+x": 0o111, "a+x": 0o111, "u+x": 0o100, "ugo+x": 0o111}
	add, sym := symbolic[mode]
	if (err != nil || set > 0o7777) && !sym {
		fmt.Fprintf(errw, "chmod: invalid mode: '%s'\n", mode)
		return sh.record("chmod", true, 1)
	}
	status := sh.withNode(func(n *node) int {
		st := 0
		for _, a := range args[2:] {
			f := n.Files[hostPath(a)]
			if f == nil {
				fmt.Fprintf(errw, "chmod: cannot access '%s': No such file or directory\n", a)
				st = 1
				continue
			}
			if sym {
				f.Mode |= add
			} else {
				f.Mode = uint32(set)
			}
		}
		return st
	})
	return sh.record("chmod", true, status)
}

// filesIn lists the regular files directly in dir, sorted (as run-parts
// and ifupdown's hook runner order them).
func (n *node) filesIn(dir string) []string {
	var out []string
	for p := range n.Files {
		if path.Dir(p) == dir {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}
