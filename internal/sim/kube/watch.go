package kube

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// watchPoll is how often a watch looks at the simulation for changes. The
// objects are views of the simulation, so a change (a kubelet turning Ready)
// becomes an event at the next look.
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
	tick := time.NewTicker(watchPoll)
	defer tick.Stop()

	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Transfer-Encoding", "chunked")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	flush := func() {
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	// kubectl get --watch asks for Tables: each event then carries a
	// one-row Table.
	asTable := wantsTable(r)
	send := func(typ string, o object) bool {
		var obj any = typed(res, o)
		if asTable {
			tbl := c.tableOf(res, []object{o}, map[string]any{"resourceVersion": o.doc["metadata"].(map[string]any)["resourceVersion"]}, r)
			obj = tbl
		}
		return enc.Encode(map[string]any{"type": typ, "object": obj}) == nil
	}

	objs, last := c.view(res)
	if lq.rv == "" || lq.rv == "0" {
		for _, o := range objs {
			if lq.matches(o) && !send("ADDED", o) {
				return
			}
		}
	} else {
		last, _ = strconv.ParseInt(lq.rv, 10, 64)
	}
	flush()
	for {
		evs, ok := c.state.since(res.name, last)
		if !ok {
			_ = enc.Encode(map[string]any{"type": "ERROR", "object": status{Kind: "Status", APIVersion: "v1", Status: "Failure",
				Message: "too old resource version: " + lq.rv, Reason: "Expired", Code: http.StatusGone}})
			flush()
			return
		}
		for _, ev := range evs {
			last = ev.rv
			if typ := filtered(ev, lq); typ != "" && !send(typ, ev.obj) {
				return
			}
		}
		flush()
		select {
		case <-r.Context().Done():
			return
		case <-end.C:
			return
		case <-tick.C:
			c.view(res)
		}
	}
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
