package stage

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tripod-dev/tripod/internal/proxmox"
	"github.com/tripod-dev/tripod/internal/run"
)

// sshd on each host: a drop-in, read before the Debian sshd_config's own
// lines (the first value sshd reads wins), then `systemctl reload ssh`,
// which checks the config (sshd -t) before sshd takes it and keeps the
// sessions open.
const (
	sshdDropin       = "/etc/ssh/sshd_config.d/tripod.conf"
	cmdCatSSHDDropin = "cat " + sshdDropin
	cmdReloadSSH     = "systemctl reload ssh"
)

// sshdDropinLines is tripod's drop-in.
var sshdDropinLines = []string{
	"# tripod: root logs in with keys only (managed by tripod; do not edit)",
	"PermitRootLogin prohibit-password",
	"PasswordAuthentication no",
	"KbdInteractiveAuthentication no",
}

func sshdDropinText() string { return strings.Join(sshdDropinLines, "\n") + "\n" }

func sshdWriteCmd() string {
	return "printf '%s\\n' '" + strings.Join(sshdDropinLines, "' '") + "' > " + sshdDropin
}

// sshdMutations are host's sshd changes: the drop-in written (when
// write) and the reload (when reload).
func (e *Env) sshdMutations(host string, write, reload bool) []run.Mutation {
	var ms []run.Mutation
	if write {
		ms = append(ms, run.Mutation{API: "ssh", Verb: "write", Object: "sshd settings of " + host,
			Detail: sshdDropin + ": PermitRootLogin prohibit-password, PasswordAuthentication no", Request: "printf"})
	}
	if reload {
		ms = append(ms, run.Mutation{API: "ssh", Verb: "reload", Object: "sshd of " + host,
			Detail: "`" + cmdReloadSSH + "`, once a new connection with tripod's key works", Request: "systemctl reload"})
	}
	return ms
}

// sshd hardens host's sshd, acting on what a new connection finds (the
// running sshd) and what the drop-in says (what the next start reads).
func (s *harden) sshd(ctx context.Context, st *run.Step, host string) error {
	e := s.env
	f := e.fleet(st)
	before, err := f.ProbeSSH(ctx, host)
	if err != nil {
		return err
	}
	if !before.KeyWorks {
		return fmt.Errorf("a new SSH connection to %s with tripod's key fails (%v): tripod changes nothing on its sshd until the key works; check root's authorized_keys (the os stage installs the key)", host, before.KeyErr)
	}
	factsOf(st).setSSHD(host, before.PasswordOffered)
	text, err := e.node(st, host).Observe(ctx, cmdCatSSHDDropin)
	var hce *proxmox.HostCommandError
	switch {
	case errors.As(err, &hce) && hce.Exit == 1:
		text = "" // no drop-in yet
	case err != nil:
		return fmt.Errorf("failed to read %s on %s: %w", sshdDropin, host, err)
	}
	write := text != sshdDropinText()
	reload := write || before.PasswordOffered
	if !reload {
		st.Skip("%s: root logs in with keys only, password login is off (%s in place)", host, sshdDropin)
		return nil
	}
	for _, m := range e.sshdMutations(host, write, reload) {
		cmd := cmdReloadSSH
		if m.Verb == "write" {
			cmd = sshdWriteCmd()
		}
		if err := e.pveCommand(ctx, st, m, host, cmd); !sentOrPlanned(err) {
			return err
		}
	}
	if st.DryRun() {
		return nil
	}
	after, err := f.ProbeSSH(ctx, host)
	if err == nil && !after.KeyWorks {
		err = after.KeyErr
	}
	if err != nil {
		return fmt.Errorf("after reloading sshd on %s, a new SSH connection with tripod's key fails (%v): the sessions already open still work; to recover, log in on the host's Scaleway console (KVM or rescue) as root with the password in the state directory's secrets, remove %s and run `%s`", host, err, sshdDropin, cmdReloadSSH)
	}
	factsOf(st).setSSHD(host, after.PasswordOffered)
	if after.PasswordOffered {
		return fmt.Errorf("after reloading sshd on %s, it still offers password login: another file in /etc/ssh/sshd_config.d sorts before %s and sets PasswordAuthentication; remove that line and run up again", host, sshdDropin)
	}
	return nil
}
