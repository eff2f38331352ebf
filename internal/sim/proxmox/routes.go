package proxmox

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// call is one API request as a handler sees it, under the cluster lock.
type call struct {
	c     *Cluster
	local *node // the node that answered
	node  *node // the node named by {node} (proxied within the cluster), else local
	r     *http.Request
	p     url.Values
	who   identity
	now   time.Time
	attrs map[string]any // extra top-level response keys
}

func (q *call) str(k string) string { return q.p.Get(k) }

func (q *call) has(k string) bool { _, ok := q.p[k]; return ok }

func (q *call) intOr(k string, def int) int {
	if v, err := strconv.Atoi(q.p.Get(k)); err == nil {
		return v
	}
	return def
}

// boolOr parses a PVE boolean (1/0, yes/no, on/off, true/false).
func (q *call) boolOr(k string, def bool) bool {
	switch strings.ToLower(q.p.Get(k)) {
	case "1", "yes", "on", "true":
		return true
	case "0", "no", "off", "false":
		return false
	}
	return def
}

type apiFunc func(q *call) (any, error)

// route is one registered API method: its pattern (relative to /api2/json),
// whether it mutates, its permission and parameter schema.
type route struct {
	pattern  string
	mutating bool
	perm     perm
	params   paramSpec
	fn       apiFunc
}

// paramSpec lists a method's parameters: "name" optional, "name!" required,
// "name[n]" a numbered family (net0, net1...). open accepts any name (for
// routes whose schema is enforced by the handler itself).
type paramSpec struct {
	allowed  map[string]bool
	families []string
	required []string
	open     bool
}

func spec(names ...string) paramSpec {
	s := paramSpec{allowed: map[string]bool{}}
	for _, n := range names {
		if base, ok := strings.CutSuffix(n, "!"); ok {
			n = base
			s.required = append(s.required, n)
		}
		if fam, ok := strings.CutSuffix(n, "[n]"); ok {
			s.families = append(s.families, fam)
			continue
		}
		s.allowed[n] = true
	}
	return s
}

var numbered = regexp.MustCompile(`^(.*?)(\d+)$`)

// check is JSONSchema's validate for the names: unknown and missing
// parameters give the 400 texts PVE uses.
func (s paramSpec) check(p url.Values, pathParams []string) *apiError {
	errs := map[string]string{}
	for k := range p {
		if k == "_dc" || s.open || s.allowed[k] || contains(pathParams, k) {
			continue
		}
		if m := numbered.FindStringSubmatch(k); m != nil && contains(s.families, m[1]) {
			continue
		}
		errs[k] = "property is not defined in schema and the schema does not allow additional properties"
	}
	for _, k := range s.required {
		if p.Get(k) == "" {
			errs[k] = "property is missing and it is not optional"
		}
	}
	if len(errs) > 0 {
		return paramErr(errs)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var braces = regexp.MustCompile(`\{([^}]+)\}`)

// newRouter builds one node's API: every route of every area, under
// /api2/json, behind simcore's fault injection and 501 for the rest.
func (c *Cluster) newRouter(n *node) *simcore.Router {
	rt := simcore.NewRouter(c.env, simcore.APIProxmox, routerError)
	var all []route
	for _, group := range [][]route{
		c.accessRoutes(), c.clusterRoutes(), c.joinRoutes(), c.taskRoutes(), c.networkRoutes(),
		c.storageRoutes(), c.qemuRoutes(), c.guestRoutes(), c.cephRoutes(), c.termRoutes(), c.firewallRoutes(), c.aliasRoutes(),
	} {
		all = append(all, group...)
	}
	for _, r := range all {
		method, path, _ := strings.Cut(r.pattern, " ")
		rt.Handle(method+" /api2/json"+path, r.mutating, c.wrap(n, r))
	}
	return rt
}

func (c *Cluster) taskRoutes() []route {
	return []route{
		{"GET /nodes/{node}/tasks/{upid}/status", false, permAll, spec(), c.getTaskStatus},
		{"GET /nodes/{node}/tasks/{upid}/log", false, permAll, spec("start", "limit", "download"), c.getTaskLog},
		{"GET /cluster/tasks", false, permAll, spec(), c.clusterTasks},
		{"GET /nodes/{node}/tasks", false, permAll, spec("errors", "limit", "since", "source", "start", "statusfilter", "typefilter", "until", "userfilter", "vmid"), c.listTasks},
	}
}

// wrap turns a route into the handler: parameters, lock and settle,
// authentication, permission, proxying to the named node, the handler, and
// the response in PVE's envelope.
func (c *Cluster) wrap(local *node, rt route) http.HandlerFunc {
	var pathParams []string
	for _, m := range braces.FindAllStringSubmatch(rt.pattern, -1) {
		if m[1] != "$" { // {$} anchors a pattern; it names no parameter
			pathParams = append(pathParams, m[1])
		}
	}
	return func(w http.ResponseWriter, r *http.Request) {
		params, perr := readParams(r)
		if perr != nil {
			writeAPIError(w, r, errf("unable to parse request parameters: %v", perr))
			return
		}
		q := &call{c: c, local: local, node: local, r: r, p: params}
		data, err := c.serve(q, rt, pathParams)
		if err != nil {
			ae, ok := err.(*apiError)
			if !ok {
				ae = errf("%v", err)
			}
			writeAPIError(w, r, ae)
			return
		}
		if s, ok := data.(streamer); ok {
			s(w, r)
			return
		}
		writeData(w, data, q.attrs)
	}
}

func (c *Cluster) serve(q *call, rt route, pathParams []string) (any, error) {
	unlock := c.lockSettled()
	defer unlock()
	q.now = c.env.Now()
	if c.nodes[q.local.Info.Hostname] != q.local {
		return nil, errf("node is shutting down")
	}
	if !rt.perm.world {
		who, aerr := c.authenticate(q.local, q.r)
		if aerr != nil {
			return nil, aerr
		}
		q.who = who
		if aerr := rt.perm.authorize(who, q.r); aerr != nil {
			return nil, aerr
		}
	}
	if aerr := rt.params.check(q.p, pathParams); aerr != nil {
		return nil, aerr
	}
	if name := q.r.PathValue("node"); name != "" {
		target, aerr := c.resolveNode(q.local, name)
		if aerr != nil {
			return nil, aerr
		}
		q.node = target
	}
	return rt.fn(q)
}

// resolveNode finds the node a /nodes/{node}/ path names, as pveproxy's
// proxying does: itself, or an online member of its cluster.
func (c *Cluster) resolveNode(local *node, name string) (*node, *apiError) {
	if name == local.Info.Hostname || name == "localhost" {
		return local, nil
	}
	if local.db.member(name) != nil {
		if !c.online(name) {
			return nil, &apiError{status: 595, msg: "No route to host"}
		}
		return c.nodes[name], nil
	}
	return nil, errf("hostname lookup '%s' failed - failed to get address info for: %s: Name or service not known", name, name)
}
