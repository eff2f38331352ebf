package stage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tripod-dev/tripod/internal/proxmox"
	"github.com/tripod-dev/tripod/internal/retry"
	"github.com/tripod-dev/tripod/internal/run"
)

// pveRead runs one Proxmox read (or a call safe to repeat) with classified
// retries on top of the transport's.
func (e *Env) pveRead(ctx context.Context, fn func(ctx context.Context) error) error {
	return retry.Do(ctx, retry.Policy{
		API: "proxmox", Attempts: 5, PerAttempt: e.Timing.Attempt(60 * time.Second),
		Initial: e.Timing.Interval(time.Second), Max: e.Timing.Interval(15 * time.Second),
		Classify: proxmox.Classify, Counter: e.Retries,
	}, fn)
}

// pveList GETs a list through pveRead.
func (e *Env) pveList(ctx context.Context, c *proxmox.Client, path string) ([]map[string]any, error) {
	var out []map[string]any
	err := e.pveRead(ctx, func(ctx context.Context) (err error) {
		out, err = c.GetList(ctx, path)
		return err
	})
	return out, err
}

// pveMap GETs an object through pveRead.
func (e *Env) pveMap(ctx context.Context, c *proxmox.Client, path string) (map[string]any, error) {
	var out map[string]any
	err := e.pveRead(ctx, func(ctx context.Context) (err error) {
		out, err = c.GetMap(ctx, path)
		return err
	})
	return out, err
}

// pveWait polls check as the named condition every interval for at most
// timeout (both real time, scaled here), reporting progress.
func (e *Env) pveWait(ctx context.Context, st stepProgress, name string, interval, timeout time.Duration, check func(ctx context.Context) (bool, string, error)) error {
	return retry.Wait(ctx, retry.Condition{
		Name: name, Interval: e.Timing.Interval(interval), Timeout: e.Timing.Deadline(timeout),
		Check: func(ctx context.Context) (bool, string, error) {
			actx, cancel := context.WithTimeout(ctx, e.Timing.Attempt(60*time.Second))
			defer cancel()
			return check(actx)
		},
		Classify: proxmox.Classify,
		Progress: func(status string) { st.Progress("%s: %s", name, status) },
	})
}

// pveTask waits for a task the step started, with its progress.
func (e *Env) pveTask(st *run.Step, timeout time.Duration) proxmox.TaskWait {
	return proxmox.TaskWait{Timeout: timeout, Progress: func(s string) { st.Progress("%s", s) }}
}

// HostCommandError is a host command that ran and failed, with its output.
type HostCommandError struct {
	Host, Cmd string
	Exit      int
	Output    string // the last lines of stdout and stderr
}

func (e *HostCommandError) Error() string {
	return fmt.Sprintf("`%s` on %s exited %d: %s", e.Cmd, e.Host, e.Exit, e.Output)
}

// pveObserve runs a read-only host command (ping, ceph ... dump), repeating
// it when it could not be run; a non-zero exit is a HostCommandError.
func (e *Env) pveObserve(ctx context.Context, st *run.Step, host, cmd string) (string, error) {
	var out string
	err := e.pveRead(ctx, func(ctx context.Context) error {
		var err error
		out, err = e.pveExec(ctx, st, host, cmd)
		return err
	})
	return out, err
}

// pveCommand runs a state-changing host command through the gate, once.
func (e *Env) pveCommand(ctx context.Context, st *run.Step, m run.Mutation, host, cmd string) error {
	m.API = "ssh"
	if m.Detail == "" {
		m.Detail = "`" + cmd + "` on " + host
	}
	return st.Mutate(ctx, m, func(ctx context.Context) error {
		_, err := e.pveExec(ctx, st, host, cmd)
		return err
	})
}

// pveExec runs cmd on host and turns a non-zero exit into an error.
func (e *Env) pveExec(ctx context.Context, st *run.Step, host, cmd string) (string, error) {
	out, errOut, exit, err := e.pve(st).shells.Exec(ctx, host, cmd)
	if err != nil {
		return "", fmt.Errorf("failed to run `%s` on %s: %w", cmd, host, err)
	}
	if exit != 0 {
		return out, &HostCommandError{Host: host, Cmd: cmd, Exit: exit, Output: lastLines(out+errOut, 12)}
	}
	return out, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
