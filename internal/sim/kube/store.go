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

// The derived objects (nodes, pods, leases, events, namespaces, services)
// are computed from the simulation (kubelets, the bootstrap time). The
// store turns those views into what a client of the real API sees: each
// change, as a read observes it, is written to the cluster's etcd where
// kube-apiserver keeps that resource, and the write's revision is the
// object's resourceVersion; a short history of changes is what watches
// replay, as the watch cache does.

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
	rv      int64  // the latest revision the store read or wrote at
	cluster uint64 // the etcd cluster those revisions are of
	kinds   map[string]map[string]*entry
	history []event
	oldest  int64 // the oldest resourceVersion a watch may resume from
}

func newStore() *store {
	return &store{kinds: map[string]map[string]*entry{}}
}

// writer stores a derived object's change in etcd and returns the
// revision of the write; revision reads etcd's current revision and
// cluster ID, linearizably.
type writer interface {
	put(o object) (int64, error)
	del(o object) (int64, error)
	revision() (rev int64, cluster uint64, err error)
}

// volatile is what changes on every read without being a change of the
// object (a heartbeat stamped with the time of the read).
var volatile = regexp.MustCompile(`"(lastHeartbeatTime|renewTime)":"[^"]*"`)

// sync compares the current view of a resource with what was last seen,
// writes what changed through w and records the changes at the writes'
// revisions. It returns the objects sorted by key, resourceVersions set,
// and the collection's resourceVersion: etcd's revision at the read. The
// view is taken under the store's lock, so that two reads never record an
// older view after a newer. When etcd is another cluster than before (a
// restore bootstraps a new one), the store forgets what it knew and writes
// every object again; a watch from before gets 410 Gone.
func (s *store) sync(kind string, view func() []object, w writer) ([]object, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rev, cluster, err := w.revision()
	if err != nil {
		return nil, 0, err
	}
	replaced := s.cluster != 0 && cluster != s.cluster
	if replaced {
		s.kinds, s.history = map[string]map[string]*entry{}, nil
	}
	s.cluster = cluster
	if rev > s.rv || replaced {
		s.rv = rev
	}
	out, err := s.syncLocked(kind, view(), w)
	if err != nil {
		return nil, 0, err
	}
	if replaced {
		s.oldest = s.rv
	}
	return out, s.rv, nil
}

func (s *store) syncLocked(kind string, current []object, w writer) ([]object, error) {
	seen := s.kinds[kind]
	if seen == nil {
		seen = map[string]*entry{}
		s.kinds[kind] = seen
	}
	// at records a write's revision.
	at := func(rev int64, err error) (int64, error) {
		if err != nil {
			return 0, err
		}
		s.rv = max(s.rv, rev)
		return rev, nil
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
			rv, err := at(w.put(o))
			if err != nil {
				return nil, err
			}
			e = &entry{hash: h, rv: rv}
			seen[k] = e
			o = withRV(o, e.rv)
			s.record(event{kind: kind, typ: "ADDED", rv: e.rv, obj: o})
		case e.hash != h:
			rv, err := at(w.put(o))
			if err != nil {
				return nil, err
			}
			old := e.obj
			e.hash, e.rv = h, rv
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
			rv, err := at(w.del(e.obj))
			if err != nil {
				return nil, err
			}
			delete(seen, k)
			gone := withRV(e.obj, rv)
			s.record(event{kind: kind, typ: "DELETED", rv: rv, obj: gone, old: e.obj})
		}
	}
	return out, nil
}

func (s *store) record(ev event) {
	s.history = append(s.history, ev)
	if n := len(s.history) - historyLen; n > 0 {
		s.oldest = s.history[n-1].rv
		s.history = append([]event(nil), s.history[n:]...)
	}
}

// since returns the changes of a resource after rv; ok is false when rv is
// older than the history kept, or newer than the store (etcd was replaced
// since): the client must list again.
func (s *store) since(kind string, rv int64) ([]event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rv < s.oldest || rv > s.rv {
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
