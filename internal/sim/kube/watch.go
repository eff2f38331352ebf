package kube

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// watchPoll is how often a watch of a derived resource looks at the
// simulation for changes: those objects are views, so a change (a kubelet
// turning Ready) becomes an event at the next look. Stored resources are
// watched through etcd.
const watchPoll = 50 * time.Millisecond

// maxWatch is kube-apiserver's --min-request-timeout (1800s): a watch
// without timeoutSeconds ends after about that long.
const maxWatch = 1800 * time.Second

// watch streams the changes of a collection as JSON watch events, one per
// line, until the client goes away or timeoutSeconds pass. Without a
// resourceVersion (or with "0") it starts with a synthetic ADDED per object,
// as the API conventions say; with one it replays what changed after it,
// or sends a 410 Expired ERROR event when that is older than the history.
func (c *Cluster) watch(w http.ResponseWriter, r *http.Request, res *resource, lq listQuery) {
	timeout := maxWatch
	if lq.timeout > 0 {
		timeout = time.Duration(lq.timeout) * time.Second
	}
	end := time.NewTimer(timeout)
	defer end.Stop()

	// What the watch starts from is read before the answer's header goes
	// out, so that a storage failure is still an error status.
	objs, last, err := c.view(r.Context(), res)
	if err != nil {
		storageFailed(w, err)
		return
	}
	initial := lq.rv == "" || lq.rv == "0"
	if !initial {
		last, _ = strconv.ParseInt(lq.rv, 10, 64)
	}

	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Transfer-Encoding", "chunked")
	w.WriteHeader(http.StatusOK)
	ws := &watchStream{enc: json.NewEncoder(w), w: w, asTable: wantsTable(r), c: c, res: res, r: r}
	if initial {
		for _, o := range objs {
			if lq.matches(o) && !ws.send("ADDED", o) {
				return
			}
		}
	}
	ws.flush()
	if res.stored {
		c.watchStored(ws, lq, last, end.C)
		return
	}
	tick := time.NewTicker(watchPoll)
	defer tick.Stop()
	for {
		evs, ok := c.state.since(res.name, last)
		if !ok {
			ws.expired(lq.rv)
			return
		}
		for _, ev := range evs {
			last = ev.rv
			if typ := filtered(ev, lq); typ != "" && !ws.send(typ, ev.obj) {
				return
			}
		}
		ws.flush()
		select {
		case <-r.Context().Done():
			return
		case <-end.C:
			return
		case <-tick.C:
			_, _, _ = c.view(r.Context(), res)
		}
	}
}

// watchStream writes one watch's events.
type watchStream struct {
	enc     *json.Encoder
	w       http.ResponseWriter
	asTable bool // kubectl get --watch asks for Tables: each event then carries a one-row Table
	c       *Cluster
	res     *resource
	r       *http.Request
}

func (ws *watchStream) flush() {
	if f, ok := ws.w.(http.Flusher); ok {
		f.Flush()
	}
}

func (ws *watchStream) send(typ string, o object) bool {
	var obj any = typed(ws.res, o)
	if ws.asTable {
		obj = ws.c.tableOf(ws.res, []object{o}, map[string]any{"resourceVersion": o.doc["metadata"].(map[string]any)["resourceVersion"]}, ws.r)
	}
	return ws.enc.Encode(map[string]any{"type": typ, "object": obj}) == nil
}

// expired is the 410 ERROR event of a watch from a resourceVersion older
// than what can be replayed.
func (ws *watchStream) expired(rv string) {
	_ = ws.enc.Encode(map[string]any{"type": "ERROR", "object": status{Kind: "Status", APIVersion: "v1", Status: "Failure",
		Message: "too old resource version: " + rv, Reason: "Expired", Code: http.StatusGone}})
	ws.flush()
}

// watchStored relays etcd's watch of the resource's prefix from after
// revision last: every event's resourceVersion is its etcd revision. The
// stream ends when etcd's watch does (the member went away); the client
// lists and watches again, as with a real API server.
func (c *Cluster) watchStored(ws *watchStream, lq listQuery, last int64, end <-chan time.Time) {
	cli, err := c.etcd()
	if err != nil {
		return
	}
	ctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ws.r.Context()))
	defer cancel()
	ch := cli.Watch(ctx, registryPrefix(ws.res), clientv3.WithPrefix(), clientv3.WithRev(last+1), clientv3.WithPrevKV())
	for {
		select {
		case <-end:
			return
		case wr, ok := <-ch:
			if !ok {
				return
			}
			if wr.CompactRevision != 0 {
				ws.expired(lq.rv)
				return
			}
			if wr.Err() != nil {
				return
			}
			for _, e := range wr.Events {
				ev, ok := storedEvent(ws.res, e)
				if !ok {
					continue
				}
				if typ := filtered(ev, lq); typ != "" && !ws.send(typ, ev.obj) {
					return
				}
			}
			ws.flush()
		}
	}
}

// storedEvent turns an etcd event into the API's: a put without a
// previous value is ADDED, a delete carries the object as it was, at the
// deletion's revision.
func storedEvent(res *resource, e *clientv3.Event) (event, bool) {
	ev := event{kind: res.name, rv: e.Kv.ModRevision}
	var err error
	if e.PrevKv != nil {
		if ev.old, err = decodeStored(res, e.PrevKv.Value, e.PrevKv.ModRevision); err != nil {
			return ev, false
		}
	}
	switch {
	case e.Type == clientv3.EventTypeDelete:
		if e.PrevKv == nil {
			return ev, false
		}
		ev.typ = "DELETED"
		ev.obj, _ = decodeStored(res, e.PrevKv.Value, e.Kv.ModRevision)
	case e.IsCreate():
		ev.typ = "ADDED"
		ev.obj, err = decodeStored(res, e.Kv.Value, e.Kv.ModRevision)
	default:
		ev.typ = "MODIFIED"
		ev.obj, err = decodeStored(res, e.Kv.Value, e.Kv.ModRevision)
	}
	return ev, err == nil
}

// filtered is the event a watch with selectors sends for a change: an
// object that starts matching is ADDED, one that stops is DELETED.
func filtered(ev event, lq listQuery) string {
	now := ev.typ != "DELETED" && lq.matches(ev.obj)
	before := ev.typ != "ADDED" && lq.matches(ev.old)
	switch {
	case now && before:
		return "MODIFIED"
	case now:
		return "ADDED"
	case before:
		return "DELETED"
	}
	return ""
}
