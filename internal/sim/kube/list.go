package kube

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// resource is one kind the API serves through the generic list, get and
// watch handlers (and, when stored, the generic create, update and
// delete), and lists in discovery.
type resource struct {
	name, singular, kind string
	group                string // "" for the core group
	namespaced           bool
	shortNames           []string
	categories           []string // kubectl get all lists the resources in category "all"
	verbs                []string // what discovery advertises; get, list, watch if empty
	createOnly           bool     // a review: POST only, no list, get or watch
	fields               []string // field selectors beyond metadata.name/namespace
	stored               bool     // kept in etcd (storage.go); objects is nil
	objects              func(c *Cluster) []object
	table                func(c *Cluster, o object, wide bool) []any // a Table row's cells; nil: NAME, AGE
	columns              []column
}

func (res *resource) apiVersion() string {
	if res.group == "" {
		return "v1"
	}
	return res.group + "/v1"
}

func (res *resource) supportedFields() []string {
	f := []string{"metadata.name"}
	if res.namespaced {
		f = append(f, "metadata.namespace")
	}
	return append(f, res.fields...)
}

// listQuery is a list or watch request's parameters, parsed.
type listQuery struct {
	labels    selector
	fields    []fieldRequirement
	namespace string
	limit     int
	cont      *continueToken
	rv        string
	watch     bool
	timeout   int
}

// continueToken is the shape of kube-apiserver's continue token (base64 of
// JSON naming the list's resourceVersion and the next key).
type continueToken struct {
	V     string `json:"v"`
	RV    int64  `json:"rv"`
	Start string `json:"start"`
}

func parseListQuery(res *resource, r *http.Request) (listQuery, error) {
	q := r.URL.Query()
	lq := listQuery{namespace: r.PathValue("namespace"), rv: q.Get("resourceVersion")}
	var err error
	if lq.labels, err = parseLabelSelector(q.Get("labelSelector")); err != nil {
		return lq, err
	}
	if lq.fields, err = parseFieldSelector(q.Get("fieldSelector"), res.supportedFields()); err != nil {
		return lq, err
	}
	if s := q.Get("limit"); s != "" {
		if lq.limit, err = strconv.Atoi(s); err != nil || lq.limit < 0 {
			return lq, fmt.Errorf("limit: Invalid value: %q: must be a non-negative integer", s)
		}
	}
	if s := q.Get("continue"); s != "" {
		var tok continueToken
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || json.Unmarshal(b, &tok) != nil || tok.V != "meta.k8s.io/v1" {
			return lq, fmt.Errorf("continue key is not valid: %q", s)
		}
		lq.cont = &tok
	}
	lq.watch = q.Get("watch") == "true" || q.Get("watch") == "1"
	if s := q.Get("timeoutSeconds"); s != "" {
		if lq.timeout, err = strconv.Atoi(s); err != nil || lq.timeout < 0 {
			return lq, fmt.Errorf("timeoutSeconds: Invalid value: %q", s)
		}
	}
	if lq.rv != "" {
		if _, err := strconv.ParseInt(lq.rv, 10, 64); err != nil {
			return lq, fmt.Errorf("resourceVersion: Invalid value: %q: must be a non-negative integer", lq.rv)
		}
	}
	return lq, nil
}

func (lq listQuery) matches(o object) bool {
	return (lq.namespace == "" || o.namespace == lq.namespace) && lq.labels.matches(o.labels) && fieldsMatch(lq.fields, o)
}

// list answers GET of a collection: a list, a Table, or a watch stream.
func (c *Cluster) list(res *resource) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !c.mayRead(w, r, res, "list", "") {
			return
		}
		lq, err := parseListQuery(res, r)
		if err != nil {
			writeStatus(w, r, http.StatusBadRequest, err.Error())
			return
		}
		if !c.available(w) {
			return
		}
		if lq.watch {
			c.watch(w, r, res, lq)
			return
		}
		objs, rv, err := c.view(r.Context(), res)
		if err != nil {
			storageFailed(w, err)
			return
		}
		if lq.rv != "" && lq.rv != "0" {
			want, _ := strconv.ParseInt(lq.rv, 10, 64)
			switch {
			case want > rv:
				writeStatus(w, r, http.StatusGatewayTimeout, fmt.Sprintf("Too large resource version: %d, current: %d", want, rv))
				return
			case r.URL.Query().Get("resourceVersionMatch") == "Exact" && want != rv:
				writeStatus(w, r, http.StatusGone, "The resourceVersion for the provided list is too old.")
				return
			}
		}
		var items []object
		for _, o := range objs {
			if lq.matches(o) && (lq.cont == nil || o.key() >= lq.cont.Start) {
				items = append(items, o)
			}
		}
		meta := map[string]any{"resourceVersion": strconv.FormatInt(rv, 10)}
		if lq.cont != nil {
			// The page continues the first one's list: the real server reads
			// it at that revision; this one serves the current objects.
			meta["resourceVersion"] = strconv.FormatInt(lq.cont.RV, 10)
		}
		if lq.limit > 0 && len(items) > lq.limit {
			next := items[lq.limit].key()
			b, _ := json.Marshal(continueToken{V: "meta.k8s.io/v1", RV: rv, Start: next})
			if lq.cont != nil {
				b, _ = json.Marshal(continueToken{V: "meta.k8s.io/v1", RV: lq.cont.RV, Start: next})
			}
			meta["continue"] = base64.RawURLEncoding.EncodeToString(b)
			if len(lq.labels) == 0 && len(lq.fields) == 0 {
				meta["remainingItemCount"] = len(items) - lq.limit
			}
			items = items[:lq.limit]
		}
		if wantsTable(r) {
			writeJSON(w, http.StatusOK, c.tableOf(res, items, meta, r))
			return
		}
		docs := make([]map[string]any, 0, len(items))
		for _, o := range items {
			docs = append(docs, o.doc)
		}
		writeJSON(w, http.StatusOK, map[string]any{"kind": res.kind + "List", "apiVersion": res.apiVersion(), "metadata": meta, "items": docs})
	}
}

// get answers GET of one object.
func (c *Cluster) get(res *resource) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		if !c.mayRead(w, r, res, "get", name) || !c.available(w) {
			return
		}
		objs, _, err := c.view(r.Context(), res)
		if err != nil {
			storageFailed(w, err)
			return
		}
		for _, o := range objs {
			if o.name == name && o.namespace == r.PathValue("namespace") {
				if wantsTable(r) {
					writeJSON(w, http.StatusOK, c.tableOf(res, []object{o}, map[string]any{"resourceVersion": o.doc["metadata"].(map[string]any)["resourceVersion"]}, r))
					return
				}
				writeJSON(w, http.StatusOK, typed(res, o))
				return
			}
		}
		writeStatusDetails(w, http.StatusNotFound, fmt.Sprintf("%s %q not found", res.name, name), &statusDetails{Name: name, Kind: res.name})
	}
}

// view is the current state of a resource, resourceVersions assigned: a
// stored one as etcd holds it, a derived one computed from the simulation,
// its changes written to etcd by the store.
func (c *Cluster) view(ctx context.Context, res *resource) ([]object, int64, error) {
	if res.stored {
		return c.storedView(ctx, res)
	}
	return c.state.sync(res.name, func() []object { return res.objects(c) }, derivedWriter{c: c, res: res, ctx: ctx})
}

// typed is an object with its kind and apiVersion, as a GET or a watch
// event carries it.
func typed(res *resource, o object) map[string]any {
	doc := map[string]any{"kind": res.kind, "apiVersion": res.apiVersion()}
	for k, v := range o.doc {
		doc[k] = v
	}
	return doc
}

// mayRead stands in for RBAC on reads: the admin kubeconfig reads all; a
// kubelet (system:nodes) reads nodes; anyone else is forbidden.
func (c *Cluster) mayRead(w http.ResponseWriter, r *http.Request, res *resource, verb, name string) bool {
	_, groups := user(r)
	for _, g := range groups {
		if g == "system:masters" || (g == "system:nodes" && res.name == "nodes") {
			return true
		}
	}
	u, _ := user(r)
	scope := "at the cluster scope"
	if ns := r.PathValue("namespace"); ns != "" {
		scope = fmt.Sprintf("in the namespace %q", ns)
	}
	subject := res.name
	if name != "" {
		subject = fmt.Sprintf("%s %q", res.name, name)
	}
	writeStatusDetails(w, http.StatusForbidden, fmt.Sprintf("%s is forbidden: User %q cannot %s resource %q in API group %q %s",
		subject, u, verb, res.name, res.group, scope), &statusDetails{Name: name, Kind: res.name})
	return false
}

func wantsTable(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "as=Table")
}
