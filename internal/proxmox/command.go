package proxmox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/tripod-dev/tripod/internal/retry"
)

// HostCommandError is a host command that ran and failed, with its output.
type HostCommandError struct {
	Host, Cmd string
	Exit      int
	Output    string // the last lines of stdout and stderr
}

func (e *HostCommandError) Error() string {
	return fmt.Sprintf("`%s` on %s exited %d: %s", e.Cmd, e.Host, e.Exit, e.Output)
}

// Observe runs a read-only host command (ping, ceph ... dump), repeating
// it when it could not be run; a non-zero exit is a HostCommandError.
func (n *Node) Observe(ctx context.Context, cmd string) (string, error) {
	cfg := n.fleet.cfg
	var out string
	// The command only reads, so it is asked again whatever happened to its
	// session (refused, dropped, cut by the attempt's timeout), as an
	// idempotent command would be; what cannot work twice (a broken key, a
	// command that failed) is not.
	err := retry.Do(ctx, retry.Policy{
		API: "proxmox", Attempts: 5, PerAttempt: cfg.Timing.Attempt(60 * time.Second),
		Initial: cfg.Timing.Interval(time.Second), Max: cfg.Timing.Interval(15 * time.Second),
		Classify: idempotentCommand, Counter: cfg.Retries,
	}, func(ctx context.Context) error {
		var err error
		out, err = n.exec(ctx, cmd)
		return err
	})
	return out, err
}

// Command runs a state-changing host command; the caller runs it inside
// its mutation gate. Only idempotent commands may go through it (pveceph
// install, ceph osd crush add-bucket/move/rule create-replicated, ceph osd
// pool set: each answers success when what it would do is already done),
// because a command whose session dropped or hung may or may not have run,
// and is run again. A command that ran and failed (a non-zero exit) is not
// repeated.
func (n *Node) Command(ctx context.Context, cmd string) error {
	cfg := n.fleet.cfg
	return retry.Do(ctx, retry.Policy{
		API: "proxmox", Attempts: 5, PerAttempt: cfg.Timing.Attempt(30 * time.Minute),
		Initial: cfg.Timing.Interval(time.Second), Max: cfg.Timing.Interval(15 * time.Second),
		Counter: cfg.Retries, Classify: idempotentCommand,
	}, func(ctx context.Context) error {
		_, err := n.exec(ctx, cmd)
		return err
	})
}

// idempotentCommand retries an idempotent host command whenever it did not
// run to a non-zero exit: it never started, its session dropped, or it hung
// and was cut.
func idempotentCommand(err error) retry.Decision {
	var hce *HostCommandError
	if errors.As(err, &hce) {
		return retry.Decision{Class: retry.Fatal}
	}
	var refused *ssh.OpenChannelError
	if errors.As(err, &refused) || !errors.Is(err, ErrNotRun) {
		return retry.Decision{Class: retry.Transient}
	}
	return Classify(err)
}

// exec runs cmd on the host and turns a non-zero exit into an error.
func (n *Node) exec(ctx context.Context, cmd string) (string, error) {
	out, errOut, exit, err := n.fleet.shells.Exec(ctx, n.name, cmd)
	if err != nil {
		return "", fmt.Errorf("failed to run `%s` on %s: %w", cmd, n.name, err)
	}
	if exit != 0 {
		return out, &HostCommandError{Host: n.name, Cmd: cmd, Exit: exit, Output: LastLines(out+errOut, 12)}
	}
	return out, nil
}

// LastLines is the last n lines of a command's output, for messages.
func LastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
