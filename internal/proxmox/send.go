package proxmox

import (
	"context"
	"fmt"
	"time"

	"github.com/tripod-dev/tripod/internal/retry"
)

// read runs one Proxmox API read (or a call safe to repeat) through the
// client's retry.Transport, which is the one retry layer for what it
// resends (a 429, the gateway statuses, connection failures and cut
// attempts of idempotent or replayable requests: at most its 6 attempts).
// read adds up to 5 attempts only for what the transport leaves to the API
// layer (classifyAbove: pveproxy's 595/596, explicit marks). It sets no
// attempt timeout of its own: the transport cuts each attempt, and a
// timeout here would cut the transport's retries short.
func read(ctx context.Context, cfg Config, fn func(ctx context.Context) error) error {
	return retry.Do(ctx, retry.Policy{
		API: "proxmox", Attempts: 5,
		Initial: cfg.Timing.Interval(time.Second), Max: cfg.Timing.Interval(15 * time.Second),
		Classify: classifyAbove, Counter: cfg.Retries,
	}, fn)
}

// probe runs a look at a host outside its API client (the certificate
// probe's own dial and handshake), which no transport retries: this is its
// one layer, 5 attempts, each cut after 60 s.
func probe(ctx context.Context, cfg Config, fn func(ctx context.Context) error) error {
	return retry.Do(ctx, retry.Policy{
		API: "proxmox", Attempts: 5, PerAttempt: cfg.Timing.Attempt(60 * time.Second),
		Initial: cfg.Timing.Interval(time.Second), Max: cfg.Timing.Interval(15 * time.Second),
		Classify: Classify, Counter: cfg.Retries,
	}, fn)
}

// Read runs fn (calls on c) under the read policy.
func (c *Client) Read(ctx context.Context, fn func(ctx context.Context) error) error {
	return read(ctx, c.cfg, fn)
}

// ReadList GETs a list under the read policy.
func (c *Client) ReadList(ctx context.Context, path string) ([]map[string]any, error) {
	var out []map[string]any
	err := read(ctx, c.cfg, func(ctx context.Context) (err error) {
		out, err = c.GetList(ctx, path)
		return err
	})
	return out, err
}

// ReadMap GETs an object under the read policy.
func (c *Client) ReadMap(ctx context.Context, path string) (map[string]any, error) {
	var out map[string]any
	err := read(ctx, c.cfg, func(ctx context.Context) (err error) {
		out, err = c.GetMap(ctx, path)
		return err
	})
	return out, err
}

// Request is one request that changes something through a host's API.
type Request struct {
	// Client sends it; nil means the node's token client.
	Client *Client
	Method string // POST, PUT or DELETE
	Path   string
	Params map[string]any
	// Call, if set, sends the request through a typed Telmate call instead.
	Call func(ctx context.Context) (any, error)
	// Task names the task the request starts, so that after a lost answer
	// that task is found on its node and waited for, not started again.
	Task *TaskRef
	// Landed observes whether the request took effect after it failed
	// without an answer that says so (and no task of it was found). With
	// neither Task nor Landed, it may simply be sent again (idempotent PUTs).
	Landed func(ctx context.Context) (bool, error)
	Wait   time.Duration // the limit of the task it starts, if it answers with one
}

// TaskRef is a task type on a node ("qmcreate"), and for guest tasks the
// guest's ID.
type TaskRef struct {
	Node, Type string
	VMID       int
}

// Tasks lists the UPIDs of ref's tasks on its node, running or not.
func (c *Client) Tasks(ctx context.Context, ref TaskRef) (map[string]bool, error) {
	path := fmt.Sprintf("/nodes/%s/tasks?source=all&limit=500&typefilter=%s", ref.Node, ref.Type)
	if ref.VMID != 0 {
		path += fmt.Sprintf("&vmid=%d", ref.VMID)
	}
	list, err := c.ReadList(ctx, path)
	out := map[string]bool{}
	for _, t := range list {
		if u, _ := t["upid"].(string); u != "" && t["type"] == ref.Type {
			out[u] = true
		}
	}
	return out, err
}

func (r Request) send(ctx context.Context) (any, error) {
	switch {
	case r.Call != nil:
		return r.Call(ctx)
	case r.Method == "PUT":
		return r.Client.Put(ctx, r.Path, r.Params)
	case r.Method == "DELETE":
		return nil, r.Client.Delete(ctx, r.Path)
	}
	return r.Client.Post(ctx, r.Path, r.Params)
}

// client fills in req's client: the node's token client unless it names
// one, and none for a typed call that starts no task.
func (n *Node) client(req Request) (Request, error) {
	if req.Client != nil || (req.Call != nil && req.Task == nil) {
		return req, nil
	}
	c, err := n.API()
	req.Client = c
	return req, err
}

// Send sends req and waits for the task it starts. A request that failed
// without an answer saying what happened (a 5xx, a 429 the transport gave
// up on, a hang cut by its attempt timeout, a dropped connection) may or
// may not have been carried out: Landed observes which, and only a request
// that did not land is sent again. Refusals (400, 403, 500 with PVE's
// reason) and failed tasks stop here with the API's message. The caller
// runs Send inside its mutation gate.
func (n *Node) Send(ctx context.Context, req Request, progress Progress) error {
	req, err := n.client(req)
	if err != nil {
		return err
	}
	upid, err := n.SendOnce(ctx, req, progress)
	if err != nil || upid == "" {
		return err
	}
	return req.Client.WaitTask(ctx, upid, TaskWait{Timeout: req.Wait, Progress: func(s string) { progress("%s", s) }})
}

// SendOnce is Send's request with its observe-before-repeat retries,
// without waiting for its task; it returns the task's UPID, "" when there
// is none to wait for.
func (n *Node) SendOnce(ctx context.Context, req Request, progress Progress) (string, error) {
	req, err := n.client(req)
	if err != nil {
		return "", err
	}
	var before map[string]bool // the tasks that are not this request's
	if req.Task != nil {
		if before, err = req.Client.Tasks(ctx, *req.Task); err != nil {
			return "", err
		}
	}
	cfg := n.fleet.cfg
	var upid string
	err = retry.Do(ctx, retry.Policy{
		API: "proxmox", Attempts: 6, Initial: cfg.Timing.Interval(time.Second), Max: cfg.Timing.Interval(15 * time.Second),
		Classify: classifyAbove, Counter: cfg.Retries,
		OnRetry: func(_ int, err error, _ time.Duration) {
			progress("%s %s did not take effect (%v); sending it again", req.Method, req.Path, err)
		},
	}, func(ctx context.Context) error {
		data, err := req.send(ctx)
		if err == nil {
			upid, _ = data.(string)
			return nil
		}
		if (req.Landed == nil && req.Task == nil) || classifyAbove(err).Class == retry.Fatal {
			return err
		}
		found, ok, lerr := Landed(ctx, req, before)
		if lerr != nil { // never repeat a create blind
			return retry.MarkFatal(fmt.Errorf("%w (and looking whether it took effect anyway: %w)", err, lerr))
		}
		if !ok {
			return err
		}
		progress("%s %s took effect although its answer was lost (%v)", req.Method, req.Path, err)
		upid = found
		return nil
	})
	return upid, err
}

// Landed looks for what a request whose answer was lost did: a task of it
// that was not there before (its UPID, to wait for), else the state
// req.Landed observes. A task list that cannot be read (a joining host
// restarts its API) leaves it to Landed.
func Landed(ctx context.Context, req Request, before map[string]bool) (string, bool, error) {
	var listErr error
	if req.Task != nil {
		now, err := req.Client.Tasks(ctx, *req.Task)
		for u := range now {
			if !before[u] {
				return u, true, nil
			}
		}
		listErr = err
	}
	if req.Landed == nil {
		return "", false, listErr
	}
	ok, err := req.Landed(ctx)
	if err == nil && !ok {
		err = listErr // no trace, but the tasks were not all seen
	}
	return "", ok, err
}
