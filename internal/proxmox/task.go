package proxmox

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/tripod-dev/tripod/internal/retry"
)

// TaskWait says how to wait for a task: the overall limit (real time, scaled
// by the client's timing) and who hears about progress.
type TaskWait struct {
	Timeout  time.Duration
	Progress func(status string)
}

// upidNode is the node a UPID names (UPID:<node>:...): its status is read
// there, through whichever member answers.
func upidNode(upid string) (string, bool) {
	parts := strings.Split(upid, ":")
	if len(parts) < 9 || parts[0] != "UPID" || parts[1] == "" {
		return "", false
	}
	return parts[1], true
}

// upidType is the worker type a UPID names (qmcreate, clusterjoin, ...).
func upidType(upid string) string {
	parts := strings.Split(upid, ":")
	if len(parts) < 9 {
		return "task"
	}
	return parts[5]
}

// WaitTask polls a UPID until it stops, on the client's scaled clock. A task
// that ends in anything but OK or WARNINGS is a *TaskError.
func (c *Client) WaitTask(ctx context.Context, upid string, w TaskWait) error {
	node, ok := upidNode(upid)
	if !ok {
		return fmt.Errorf("the Proxmox API of %s answered %q where a task ID was expected", c.ep.Node, upid)
	}
	if w.Timeout <= 0 {
		w.Timeout = 10 * time.Minute
	}
	var exit string
	err := retry.Wait(ctx, retry.Condition{
		API: "proxmox", Name: fmt.Sprintf("task %s on %s", upidType(upid), node),
		Interval: c.cfg.Timing.Interval(time.Second),
		Timeout:  c.cfg.Timing.Deadline(w.Timeout),
		Classify: Classify,
		Progress: w.Progress,
		Check: func(ctx context.Context) (bool, string, error) {
			actx, cancel := context.WithTimeout(ctx, c.cfg.Timing.Attempt(30*time.Second))
			defer cancel()
			stopped, es, err := c.TaskStatus(actx, upid)
			if err != nil || !stopped {
				return false, "running", err
			}
			exit = es
			return true, "stopped", nil
		},
	})
	if err != nil {
		return err
	}
	return Failed(upid, exit)
}

// TaskStatus reads a task's state once: whether it stopped, and its
// exitstatus when it did.
func (c *Client) TaskStatus(ctx context.Context, upid string) (stopped bool, exit string, err error) {
	node, ok := upidNode(upid)
	if !ok {
		return false, "", fmt.Errorf("%q is not a task ID", upid)
	}
	st, err := c.GetMap(ctx, "/nodes/"+node+"/tasks/"+url.PathEscape(upid)+"/status")
	if err != nil {
		return false, "", err
	}
	if s, _ := st["status"].(string); s != "stopped" {
		return false, "", nil
	}
	exit, _ = st["exitstatus"].(string)
	return true, exit, nil
}

// Failed turns a stopped task's exitstatus into a *TaskError, nil for OK
// and WARNINGS.
func Failed(upid, exit string) error {
	if exit == "OK" || strings.HasPrefix(exit, "WARNINGS") {
		return nil
	}
	node, _ := upidNode(upid)
	return &TaskError{Node: node, UPID: upid, Type: upidType(upid), Status: exit}
}

// RunTask POSTs to an endpoint that answers with a UPID (or null when it
// finished synchronously) and waits for the task.
func (c *Client) RunTask(ctx context.Context, path string, params map[string]any, w TaskWait) error {
	data, err := c.Post(ctx, path, params)
	return c.waitData(ctx, data, err, w)
}

// PutTask is RunTask for endpoints that start their task on PUT (applying
// a node's network configuration).
func (c *Client) PutTask(ctx context.Context, path string, params map[string]any, w TaskWait) error {
	data, err := c.Put(ctx, path, params)
	return c.waitData(ctx, data, err, w)
}

func (c *Client) waitData(ctx context.Context, data any, err error, w TaskWait) error {
	if err != nil {
		return err
	}
	upid, _ := data.(string)
	if upid == "" {
		return nil
	}
	return c.WaitTask(ctx, upid, w)
}
