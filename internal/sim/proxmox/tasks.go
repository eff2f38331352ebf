package proxmox

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// task is a PVE worker (UPID). Its state is computed, never driven by a
// timer: it is running until its operation's scaled duration has passed
// since Start (or, for Manual tasks such as a termproxy shell, until End),
// and its effect (Kind with Args) is applied by settle the first time
// anything looks after that moment. Tasks therefore survive Save and Load.
type task struct {
	UPID    string            `json:"upid"`
	Node    string            `json:"node"`
	Type    string            `json:"type"`
	ID      string            `json:"id"`
	User    string            `json:"user"`
	PID     int               `json:"pid"`
	PStart  int64             `json:"pstart"`
	Start   time.Time         `json:"start"`
	Op      simcore.Op        `json:"op"`
	Key     string            `json:"key"`
	Manual  bool              `json:"manual,omitempty"`
	End     *time.Time        `json:"end,omitempty"`
	Err     string            `json:"err,omitempty"`
	Log     []string          `json:"log,omitempty"`
	Kind    string            `json:"kind,omitempty"`
	Args    map[string]string `json:"args,omitempty"`
	Applied bool              `json:"applied"`
}

var upidRe = regexp.MustCompile(`^UPID:([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s/]+):([^:\s/]*):([^:\s/]+):$`)

// newTask starts a worker on n. The effect, if any, is set by the caller.
func (c *Cluster) newTask(n *node, typ, id string, who identity, op simcore.Op) *task {
	now := c.env.Now()
	n.PIDNext++
	jiffies := max(int64(now.Sub(n.Info.InstalledAt)/(10*time.Millisecond)), 0)
	t := &task{
		Node: n.Info.Hostname, Type: typ, ID: id, User: who.userid(),
		PID: n.PIDNext, PStart: jiffies%0x0FFFFFFF + 1000,
		Start: now, Op: op, Key: n.Info.Hostname + "/" + typ + "/" + id,
	}
	t.UPID = fmt.Sprintf("UPID:%s:%08X:%08X:%08X:%s:%s:%s:", t.Node, t.PID, t.PStart, now.Unix(), typ, id, t.User)
	n.Tasks = append(n.Tasks, t)
	if len(n.Tasks) > 2000 {
		n.Tasks = n.Tasks[len(n.Tasks)-1000:]
	}
	return t
}

// fail makes a task end in error after op's duration.
func (t *task) fail(msg string) *task {
	t.Err = msg
	t.Kind = ""
	return t
}

func (t *task) logf(format string, args ...any) { t.Log = append(t.Log, fmt.Sprintf(format, args...)) }

func (c *Cluster) taskDone(t *task) bool {
	if t.Manual {
		return t.End != nil && !c.env.Now().Before(*t.End)
	}
	return c.env.Done(t.Start, t.Op, t.Key)
}

func (c *Cluster) taskEnd(t *task) time.Time {
	if t.End != nil {
		return *t.End
	}
	return t.Start.Add(c.env.Delay(t.Op, t.Key))
}

// exitStatus is the task's exitstatus once stopped: "OK" or the error text.
func (t *task) exitStatus() string {
	if t.Err != "" {
		return t.Err
	}
	return "OK"
}

// taskEffects apply finished tasks. Each may set t.Err to fail the task at
// the last moment (something changed while it ran).
var taskEffects = map[string]func(*Cluster, *node, *task){
	"clustercreate": (*Cluster).applyClusterCreate,
	"clusterjoin":   (*Cluster).applyClusterJoin,
	"srvreload":     (*Cluster).applyNetwork,
	"download":      (*Cluster).applyDownload,
	"qmcreate":      (*Cluster).applyVMCreate,
	"qmstart":       (*Cluster).applyVMStart,
	"qmstop":        (*Cluster).applyVMStop,
	"qmdestroy":     (*Cluster).applyVMDestroy,
	"cephmon":       (*Cluster).applyCephMon,
	"cephmgr":       (*Cluster).applyCephMgr,
	"cephosd":       (*Cluster).applyCephOSD,
	"cephpool":      (*Cluster).applyCephPool,
}

// settle applies every finished task, in the order they finished, and
// refreshes the Ceph cluster's view of which daemons are reachable.
func (c *Cluster) settle() {
	type due struct {
		n *node
		t *task
	}
	var list []due
	for _, n := range c.nodeList() {
		for _, t := range n.Tasks {
			if !t.Applied && c.taskDone(t) {
				list = append(list, due{n, t})
			}
		}
	}
	sort.SliceStable(list, func(i, j int) bool { return c.taskEnd(list[i].t).Before(c.taskEnd(list[j].t)) })
	for _, d := range list {
		d.t.Applied = true
		if f := taskEffects[d.t.Kind]; f != nil && d.t.Err == "" {
			f(c, d.n, d.t)
		}
		if d.t.Kind == "qmcreate" && d.t.Err != "" {
			c.abortVMCreate(d.n, d.t)
		}
	}
	c.settleTerm()
	c.settleCeph()
}

// findTask looks a UPID up on the node it names.
func (c *Cluster) findTask(upid string) (*task, *apiError) {
	m := upidRe.FindStringSubmatch(upid)
	if m == nil {
		return nil, paramErr(map[string]string{"upid": "unable to parse worker upid '" + upid + "'"})
	}
	if n := c.nodes[m[1]]; n != nil {
		for _, t := range n.Tasks {
			if t.UPID == upid {
				return t, nil
			}
		}
	}
	return nil, paramErr(map[string]string{"upid": "no such task"})
}

func (c *Cluster) taskJSON(t *task) map[string]any {
	out := map[string]any{
		"upid": t.UPID, "node": t.Node, "pid": t.PID, "pstart": t.PStart,
		"starttime": t.Start.Unix(), "type": t.Type, "id": t.ID, "user": t.User,
		"status": "running",
	}
	if u, tok, ok := cutToken(t.User); ok {
		out["user"], out["tokenid"] = u, tok
	}
	if c.taskDone(t) {
		out["status"] = "stopped"
		out["exitstatus"] = t.exitStatus()
	}
	return out
}

func (c *Cluster) getTaskStatus(q *call) (any, error) {
	t, err := c.findTask(q.r.PathValue("upid"))
	if err != nil {
		return nil, err
	}
	return c.taskJSON(t), nil
}

func (c *Cluster) getTaskLog(q *call) (any, error) {
	t, err := c.findTask(q.r.PathValue("upid"))
	if err != nil {
		return nil, err
	}
	lines := append([]string{}, t.Log...)
	if c.taskDone(t) {
		if t.Err != "" {
			lines = append(lines, "TASK ERROR: "+t.Err)
		} else {
			lines = append(lines, "TASK OK")
		}
	}
	start, limit := q.intOr("start", 0), q.intOr("limit", 50)
	out := []map[string]any{}
	for i := start; i < len(lines) && len(out) < limit; i++ {
		out = append(out, map[string]any{"n": i + 1, "t": lines[i]})
	}
	return out, nil
}

func (c *Cluster) listTasks(q *call) (any, error) {
	out := []map[string]any{}
	tasks := q.node.Tasks
	for i := len(tasks) - 1; i >= 0; i-- {
		t := tasks[i]
		if tf := q.str("typefilter"); tf != "" && tf != t.Type {
			continue
		}
		if v := q.str("vmid"); v != "" && v != t.ID {
			continue
		}
		out = append(out, c.taskListEntry(t))
	}
	start, limit := q.intOr("start", 0), q.intOr("limit", 50)
	if start > len(out) {
		start = len(out)
	}
	out = out[start:]
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// taskListEntry is a task as the task lists show it: the exit status in
// "status" and an end time once it has ended, no status while it runs.
func (c *Cluster) taskListEntry(t *task) map[string]any {
	e := c.taskJSON(t)
	delete(e, "exitstatus")
	if c.taskDone(t) {
		e["status"] = t.exitStatus()
		e["endtime"] = c.taskEnd(t).Unix()
	} else {
		delete(e, "status")
	}
	return e
}

// clusterTasks is GET /cluster/tasks: the recent tasks of every member the
// answering node knows (pmxcfs's task list), newest first.
func (c *Cluster) clusterTasks(q *call) (any, error) {
	var all []*task
	for _, name := range c.members(q.node) {
		if n := c.nodes[name]; n != nil {
			all = append(all, n.Tasks...)
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Start.After(all[j].Start) })
	out := []map[string]any{}
	for _, t := range all {
		out = append(out, c.taskListEntry(t))
	}
	return out, nil
}

func cutToken(user string) (string, string, bool) {
	for i := len(user) - 1; i >= 0; i-- {
		if user[i] == '!' {
			return user[:i], user[i+1:], true
		}
	}
	return user, "", false
}

func itoa(i int) string { return strconv.Itoa(i) }
