package kube

import (
	"crypto/sha256"
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"
)

// The objects the simulated API serves are computed from the simulation
// (kubelets, the bootstrap time), not stored. The store turns those views
// into what a client of the real API sees: a cluster-wide resourceVersion
// that grows whenever an object changes, and a short history of changes that
// watches replay, as etcd's revisions and the watch cache do.

// object is one API object as a list serves it (no kind or apiVersion).
type object struct {
	namespace, name string
	labels          map[string]string
	fields          map[string]string // field selector values beyond metadata.*
	created         time.Time
	doc             map[string]any // the JSON object; metadata.resourceVersion is set by the store
}

func (o object) key() string {
	if o.namespace == "" {
		return o.name
	}
	return o.namespace + "/" + o.name
}

// event is a change of one object at a resourceVersion.
type event struct {
	kind     string // resource name: "nodes"
	typ      string // ADDED, MODIFIED, DELETED
	rv       int64
	obj, old object
}

type entry struct {
	hash string
	rv   int64
	obj  object
}

// historyLen is how many changes a watch can resume from; an older
// resourceVersion gets 410 Gone, as after a compaction.
const historyLen = 1000

type store struct {
	mu      sync.Mutex
	rv      int64
	kinds   map[string]map[string]*entry
	history []event
	oldest  int64 // the oldest resourceVersion a watch may resume from
}

func newStore() *store {
	return &store{rv: 1000, oldest: 1000, kinds: map[string]map[string]*entry{}}
}

// volatile is what changes on every read without being a change of the
// object (a heartbeat stamped with the time of the read).
var volatile = regexp.MustCompile(`"(lastHeartbeatTime|renewTime)":"[^"]*"`)

// sync compares the current view of a resource with what was last seen,
// assigns new resourceVersions to what changed and records the changes.
// It returns the objects sorted by key, resourceVersions set, and the
// resourceVersion of the whole collection. The view is taken under the
// store's lock, so that two reads never record an older view after a newer.
func (s *store) sync(kind string, view func() []object) ([]object, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	current := view()
	seen := s.kinds[kind]
	if seen == nil {
		seen = map[string]*entry{}
		s.kinds[kind] = seen
	}
	sort.Slice(current, func(i, j int) bool { return current[i].key() < current[j].key() })
	live := map[string]bool{}
	out := make([]object, 0, len(current))
	for _, o := range current {
		k := o.key()
		live[k] = true
		b, _ := json.Marshal(o.doc)
		sum := sha256.Sum256(volatile.ReplaceAll(b, nil))
		h := string(sum[:])
		e := seen[k]
		switch {
		case e == nil:
			s.rv++
			e = &entry{hash: h, rv: s.rv}
			seen[k] = e
			o = withRV(o, e.rv)
			s.record(event{kind: kind, typ: "ADDED", rv: e.rv, obj: o})
		case e.hash != h:
			s.rv++
			old := e.obj
			e.hash, e.rv = h, s.rv
			o = withRV(o, e.rv)
			s.record(event{kind: kind, typ: "MODIFIED", rv: e.rv, obj: o, old: old})
		default:
			o = withRV(o, e.rv)
		}
		e.obj = o
		out = append(out, o)
	}
	for k, e := range seen {
		if !live[k] {
			s.rv++
			delete(seen, k)
			gone := withRV(e.obj, s.rv)
			s.record(event{kind: kind, typ: "DELETED", rv: s.rv, obj: gone, old: e.obj})
		}
	}
	return out, s.rv
}

func (s *store) record(ev event) {
	s.history = append(s.history, ev)
	if n := len(s.history) - historyLen; n > 0 {
		s.oldest = s.history[n-1].rv
		s.history = append([]event(nil), s.history[n:]...)
	}
}

// since returns the changes of a resource after rv; ok is false when rv is
// older than the history kept (the client must list again).
func (s *store) since(kind string, rv int64) ([]event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rv < s.oldest {
		return nil, false
	}
	var out []event
	for _, ev := range s.history {
		if ev.rv > rv && ev.kind == kind {
			out = append(out, ev)
		}
	}
	return out, true
}

// current is the latest resourceVersion.
func (s *store) current() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rv
}

// withRV copies o with metadata.resourceVersion set.
func withRV(o object, rv int64) object {
	doc := make(map[string]any, len(o.doc))
	for k, v := range o.doc {
		doc[k] = v
	}
	md, _ := doc["metadata"].(map[string]any)
	meta := make(map[string]any, len(md)+1)
	for k, v := range md {
		meta[k] = v
	}
	meta["resourceVersion"] = strconv.FormatInt(rv, 10)
	doc["metadata"] = meta
	o.doc = doc
	return o
}

// toDoc turns a typed object into the generic JSON form the store keeps.
func toDoc(v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		panic("kube: an object does not marshal: " + err.Error())
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}
