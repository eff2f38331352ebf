package proxmox

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"golang.org/x/crypto/ssh"
)

// sshdState is what the running sshd enforces: its settings as of its last
// start or reload, not what the files say now (a file written and not
// reloaded changes nothing, as on a real host).
type sshdState struct {
	PermitRootLogin        string `json:"permit_root_login"`       // yes, prohibit-password, forced-commands-only, no
	PasswordAuthentication bool   `json:"password_authentication"` // password (and keyboard-interactive) login offered
}

// sshdDropins is where Debian's sshd_config includes its drop-ins from,
// before its own lines: the first value sshd reads for a keyword wins.
const sshdDropins = "/etc/ssh/sshd_config.d"

// sshdInstalled is a fresh Proxmox VE install: the installer sets
// PermitRootLogin yes, and PasswordAuthentication is sshd's default, yes.
func sshdInstalled() sshdState {
	return sshdState{PermitRootLogin: "yes", PasswordAuthentication: true}
}

func (n *node) sshd() sshdState {
	if n.Sshd == nil {
		s := sshdInstalled()
		n.Sshd = &s
	}
	return *n.Sshd
}

// sshdFromFiles reads the drop-ins in name order over the install's
// settings, as sshd -t would, and says what is wrong with them.
func (n *node) sshdFromFiles() (sshdState, error) {
	s := sshdInstalled()
	var names []string
	for p := range n.Files {
		if strings.HasPrefix(p, sshdDropins+"/") && strings.HasSuffix(p, ".conf") {
			names = append(names, p)
		}
	}
	sort.Strings(names)
	seen := map[string]bool{}
	for _, p := range names {
		for i, line := range strings.Split(n.Files[p].Data, "\n") {
			f := strings.Fields(line)
			if len(f) == 0 || strings.HasPrefix(f[0], "#") {
				continue
			}
			key := strings.ToLower(f[0])
			if len(f) != 2 {
				return s, fmt.Errorf("%s line %d: missing argument", p, i+1)
			}
			v := strings.ToLower(f[1])
			switch key {
			case "permitrootlogin":
				if !contains([]string{"yes", "prohibit-password", "without-password", "forced-commands-only", "no"}, v) {
					return s, fmt.Errorf("%s line %d: unsupported option %q", p, i+1, f[1])
				}
				if v == "without-password" {
					v = "prohibit-password"
				}
				if !seen[key] {
					s.PermitRootLogin = v
				}
			case "passwordauthentication", "kbdinteractiveauthentication":
				if v != "yes" && v != "no" {
					return s, fmt.Errorf("%s line %d: unsupported option %q", p, i+1, f[1])
				}
				if key == "passwordauthentication" && !seen[key] {
					s.PasswordAuthentication = v == "yes"
				}
			case "pubkeyauthentication", "usedns", "x11forwarding", "allowtcpforwarding", "maxauthtries", "loglevel":
			default:
				return s, fmt.Errorf("%s: line %d: Bad configuration option: %s", p, i+1, f[0])
			}
			seen[key] = true
		}
	}
	return s, nil
}

// cmdSystemctl models `systemctl reload|restart ssh` (ssh.service runs
// sshd -t before it signals sshd: a bad config fails and changes nothing)
// and `systemctl is-active ssh`.
func cmdSystemctl(_ context.Context, sh *shell, args []string, out, errw io.Writer) int {
	if len(args) != 3 || strings.TrimSuffix(strings.TrimSuffix(args[2], ".service"), "d") != "ssh" {
		return sh.unmodelled(strings.Join(args, " "), errw, "the simulator models only systemctl reload|restart|is-active ssh", 1)
	}
	switch args[1] {
	case "is-active":
		fmt.Fprintln(out, "active")
		return sh.record("systemctl is-active", false, 0)
	case "reload", "restart", "reload-or-restart":
	default:
		return sh.unmodelled(strings.Join(args, " "), errw, "the simulator models only systemctl reload|restart|is-active ssh", 1)
	}
	return sh.withNode(func(n *node) int {
		s, err := n.sshdFromFiles()
		if err != nil {
			fmt.Fprintf(errw, "Job for ssh.service failed because the control process exited with error code.\nsshd: %v\n", err)
			return sh.record("systemctl "+args[1], true, 1)
		}
		n.Sshd = &s
		return sh.record("systemctl "+args[1], true, 0)
	})
}

// sshdConfigFor is the server config one new connection gets: the running
// settings decide whether password login is offered at all and whether
// root may log in with a key or a password.
func (c *Cluster) sshdConfigFor(host string, base *ssh.ServerConfig, password string) *ssh.ServerConfig {
	c.mu.Lock()
	var s sshdState
	if n := c.nodes[host]; n != nil {
		s = n.sshd()
	}
	c.mu.Unlock()
	cfg := *base
	keys := base.PublicKeyCallback
	cfg.PublicKeyCallback = func(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
		if meta.User() == "root" && s.PermitRootLogin == "no" {
			return nil, fmt.Errorf("root login refused (PermitRootLogin no)")
		}
		return keys(meta, key)
	}
	cfg.PasswordCallback = nil
	if s.PasswordAuthentication {
		cfg.PasswordCallback = func(meta ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			if meta.User() == "root" && s.PermitRootLogin == "yes" && password != "" && string(pw) == password {
				return &ssh.Permissions{}, nil
			}
			return nil, fmt.Errorf("password for %s refused", meta.User())
		}
	}
	return &cfg
}
