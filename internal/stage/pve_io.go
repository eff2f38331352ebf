package stage

import (
	"context"
	"errors"
	"fmt"
	"golang.org/x/crypto/ssh"
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
	return e.waitFor(ctx, st, name, interval, timeout, 60*time.Second, proxmox.Classify, check)
}

// pveReq is one request that changes something through a host's API.
type pveReq struct {
	c      *proxmox.Client
	method string // POST, PUT or DELETE
	path   string
	params map[string]any
	// call, if set, sends the request through a typed Telmate call instead.
	call func(ctx context.Context) (any, error)
	// task names the task the request starts, so that after a lost answer
	// that task is found on its node and waited for, not started again.
	task *pveTaskRef
	// landed observes whether the request took effect after it failed
	// without an answer that says so (and no task of it was found). With
	// neither task nor landed, it may simply be sent again (idempotent PUTs).
	landed func(ctx context.Context) (bool, error)
	wait   time.Duration // the limit of the task it starts, if it answers with one
}

// pveTaskRef is a task type on a node ("qmcreate"), and for guest tasks the
// guest's ID.
type pveTaskRef struct {
	node, typ string
	vmid      int
}

// pveTasks lists the UPIDs of ref's tasks on its node, running or not.
func (e *Env) pveTasks(ctx context.Context, c *proxmox.Client, ref pveTaskRef) (map[string]bool, error) {
	path := fmt.Sprintf("/nodes/%s/tasks?source=all&limit=500&typefilter=%s", ref.node, ref.typ)
	if ref.vmid != 0 {
		path += fmt.Sprintf("&vmid=%d", ref.vmid)
	}
	list, err := e.pveList(ctx, c, path)
	out := map[string]bool{}
	for _, t := range list {
		if u := str(t["upid"]); u != "" && str(t["type"]) == ref.typ {
			out[u] = true
		}
	}
	return out, err
}

func (r pveReq) send(ctx context.Context) (any, error) {
	switch {
	case r.call != nil:
		return r.call(ctx)
	case r.method == "PUT":
		return r.c.Put(ctx, r.path, r.params)
	case r.method == "DELETE":
		return nil, r.c.Delete(ctx, r.path)
	}
	return r.c.Post(ctx, r.path, r.params)
}

// pveSend sends req through the gate as the one mutation m and waits for
// the task it starts. A request that failed without an answer saying what
// happened (a 5xx, a 429 the transport gave up on, a hang cut by its
// attempt timeout, a dropped connection) may or may not have been carried
// out: landed observes which, and only a request that did not land is sent
// again. Refusals (400, 403, 500 with PVE's reason) and failed tasks stop
// here with the API's message.
func (e *Env) pveSend(ctx context.Context, st *run.Step, m run.Mutation, req pveReq) error {
	if m.API == "" {
		m.API = "proxmox"
	}
	return st.Mutate(ctx, m, func(ctx context.Context) error { return e.pveSendWait(ctx, st, req) })
}

// pveSendWait is pveSend's work inside the gate, for steps that do more
// there (take a node's pool, render the parameters).
func (e *Env) pveSendWait(ctx context.Context, st *run.Step, req pveReq) error {
	upid, err := e.pveSendOnce(ctx, st, req)
	if err != nil || upid == "" {
		return err
	}
	return req.c.WaitTask(ctx, upid, e.pveTask(st, req.wait))
}

// pveSendOnce is pveSend's request with its observe-before-repeat retries; it
// returns the task's UPID, "" when there is none to wait for.
func (e *Env) pveSendOnce(ctx context.Context, st *run.Step, req pveReq) (string, error) {
	var before map[string]bool // the tasks that are not this request's
	if req.task != nil {
		var err error
		if before, err = e.pveTasks(ctx, req.c, *req.task); err != nil {
			return "", err
		}
	}
	var upid string
	err := retry.Do(ctx, retry.Policy{
		API: "proxmox", Attempts: 6, Initial: e.Timing.Interval(time.Second), Max: e.Timing.Interval(15 * time.Second),
		Classify: proxmox.Classify, Counter: e.Retries,
		OnRetry: func(_ int, err error, _ time.Duration) {
			st.Progress("%s %s did not take effect (%v); sending it again", req.method, req.path, err)
		},
	}, func(ctx context.Context) error {
		data, err := req.send(ctx)
		if err == nil {
			upid, _ = data.(string)
			return nil
		}
		if (req.landed == nil && req.task == nil) || proxmox.Classify(err).Class == retry.Fatal {
			return err
		}
		found, ok, lerr := e.pveLanded(ctx, req, before)
		if lerr != nil { // never repeat a create blind
			return retry.MarkFatal(fmt.Errorf("%w (and looking whether it took effect anyway: %w)", err, lerr))
		}
		if !ok {
			return err
		}
		st.Progress("%s %s took effect although its answer was lost (%v)", req.method, req.path, err)
		upid = found
		return nil
	})
	return upid, err
}

// pveLanded looks for what a request whose answer was lost did: a task of
// it that was not there before (its UPID, to wait for), else the state
// req.landed observes. A task list that cannot be read (a joining host
// restarts its API) leaves it to landed.
func (e *Env) pveLanded(ctx context.Context, req pveReq, before map[string]bool) (string, bool, error) {
	var listErr error
	if req.task != nil {
		now, err := e.pveTasks(ctx, req.c, *req.task)
		for u := range now {
			if !before[u] {
				return u, true, nil
			}
		}
		listErr = err
	}
	if req.landed == nil {
		return "", false, listErr
	}
	ok, err := req.landed(ctx)
	if err == nil && !ok {
		err = listErr // no trace, but the tasks were not all seen
	}
	return "", ok, err
}

// sentOrPlanned reports whether err is nil or a dry run's run.ErrPlanned: after a
// planned mutation a dry run goes on listing what the real run would send
// next, as if it had been sent.
func sentOrPlanned(err error) bool { return err == nil || errors.Is(err, run.ErrPlanned) }

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
	// The command only reads, so it is asked again whatever happened to its
	// session (refused, dropped, cut by the attempt's timeout), as an
	// idempotent command would be; what cannot work twice (a broken key, a
	// command that failed) is not.
	err := retry.Do(ctx, retry.Policy{
		API: "proxmox", Attempts: 5, PerAttempt: e.Timing.Attempt(60 * time.Second),
		Initial: e.Timing.Interval(time.Second), Max: e.Timing.Interval(15 * time.Second),
		Classify: idempotentCommand, Counter: e.Retries,
	}, func(ctx context.Context) error {
		var err error
		out, err = e.pveExec(ctx, st, host, cmd)
		return err
	})
	return out, err
}

// pveCommand runs a state-changing host command through the gate. Only
// idempotent commands may go through it (pveceph install, ceph osd crush
// add-bucket/move/rule create-replicated, ceph osd pool set: each answers
// success when what it would do is already done), because a command whose
// session dropped or hung may or may not have run, and is run again. A
// command that ran and failed (a non-zero exit) is not repeated.
func (e *Env) pveCommand(ctx context.Context, st *run.Step, m run.Mutation, host, cmd string) error {
	m.API = "ssh"
	if m.Detail == "" {
		m.Detail = "`" + cmd + "` on " + host
	}
	return st.Mutate(ctx, m, func(ctx context.Context) error {
		return retry.Do(ctx, retry.Policy{
			API: "proxmox", Attempts: 5, PerAttempt: e.Timing.Attempt(30 * time.Minute),
			Initial: e.Timing.Interval(time.Second), Max: e.Timing.Interval(15 * time.Second),
			Counter: e.Retries, Classify: idempotentCommand,
		}, func(ctx context.Context) error {
			_, err := e.pveExec(ctx, st, host, cmd)
			return err
		})
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
	if errors.As(err, &refused) || !errors.Is(err, proxmox.ErrNotRun) {
		return retry.Decision{Class: retry.Transient}
	}
	return proxmox.Classify(err)
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
