package simcore

import (
	"sort"
	"strconv"
	"sync"
	"time"
)

// API names one simulated service in the request log and the fault model.
type API string

// The simulated APIs.
const (
	APIScaleway API = "scaleway"
	APIProxmox  API = "proxmox"
	APISSH      API = "ssh"
	APITalos    API = "talos"
	APIKube     API = "kube"
	APIFactory  API = "factory"
)

// RequestLog counts the requests the simulator served, per API and per route
// template ("POST /dedibox/v1/zones/{zone}/servers"), and records errors:
// unmodelled routes and protocol violations. Tests assert on it instead of logs.
type RequestLog struct {
	mu     sync.Mutex
	apis   map[API]*apiCounts
	errors []RecordedError
}

type apiCounts struct {
	total, mutating int
	routes          map[string]*RouteCounts
}

// RouteCounts is what one route template served.
type RouteCounts struct {
	Total    int            `json:"total"`
	Mutating int            `json:"mutating"`
	Statuses map[string]int `json:"statuses"`
}

// RecordedError is an unmodelled route or protocol violation.
type RecordedError struct {
	Time   time.Time `json:"time"`
	API    API       `json:"api"`
	Kind   string    `json:"kind"` // "unmodelled", "protocol"
	Detail string    `json:"detail"`
}

// APIStats is one API's counts in a Snapshot.
type APIStats struct {
	Total    int                     `json:"total"`
	Mutating int                     `json:"mutating"`
	Routes   map[string]*RouteCounts `json:"routes"`
}

// RequestStats is the JSON served at /requests.
type RequestStats struct {
	Total    int               `json:"total"`
	Mutating int               `json:"mutating"`
	APIs     map[API]*APIStats `json:"apis"`
	Errors   []RecordedError   `json:"errors"`
	// Unmodelled lists what the simulator answered 501 (gRPC Unimplemented
	// for Talos) because it does not model it, once per API and request
	// with a count: what a rehearsal asked that the simulator cannot say.
	Unmodelled []UnmodelledRequest `json:"unmodelled"`
}

// UnmodelledRequest is one request the simulator does not model ("GET
// /api2/json/cluster/ha/groups", "/machine.MachineService/Upgrade") and how
// often it was asked.
type UnmodelledRequest struct {
	API     API    `json:"api"`
	Request string `json:"request"`
	Count   int    `json:"count"`
}

// NewRequestLog returns an empty log.
func NewRequestLog() *RequestLog {
	return &RequestLog{apis: map[API]*apiCounts{}}
}

// Record counts one request. status is the HTTP status, the gRPC code name or
// an SSH exit status, as text.
func (l *RequestLog) Record(api API, route string, mutating bool, status string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.apis[api]
	if a == nil {
		a = &apiCounts{routes: map[string]*RouteCounts{}}
		l.apis[api] = a
	}
	r := a.routes[route]
	if r == nil {
		r = &RouteCounts{Statuses: map[string]int{}}
		a.routes[route] = r
	}
	a.total++
	r.Total++
	if mutating {
		a.mutating++
		r.Mutating++
	}
	r.Statuses[status]++
}

// RecordStatus is Record with an HTTP status code.
func (l *RequestLog) RecordStatus(api API, route string, mutating bool, code int) {
	l.Record(api, route, mutating, strconv.Itoa(code))
}

// Error records an unmodelled route or a protocol violation.
func (l *RequestLog) Error(api API, kind, detail string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errors = append(l.errors, RecordedError{Time: time.Now().UTC(), API: api, Kind: kind, Detail: detail})
}

// Errors returns the recorded errors.
func (l *RequestLog) Errors() []RecordedError {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]RecordedError(nil), l.errors...)
}

// Snapshot returns a deep copy of the counts.
func (l *RequestLog) Snapshot() RequestStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := RequestStats{APIs: map[API]*APIStats{}, Errors: append([]RecordedError{}, l.errors...), Unmodelled: unmodelled(l.errors)}
	for name, a := range l.apis {
		as := &APIStats{Total: a.total, Mutating: a.mutating, Routes: map[string]*RouteCounts{}}
		for route, r := range a.routes {
			cp := &RouteCounts{Total: r.Total, Mutating: r.Mutating, Statuses: map[string]int{}}
			for k, v := range r.Statuses {
				cp.Statuses[k] = v
			}
			as.Routes[route] = cp
		}
		s.APIs[name] = as
		s.Total += a.total
		s.Mutating += a.mutating
	}
	return s
}

// MutatingRoutes lists "api route" for every route that served a mutating
// request, sorted: a compact view for test failure messages.
func (s RequestStats) MutatingRoutes() []string {
	var out []string
	for api, a := range s.APIs {
		for route, r := range a.Routes {
			if r.Mutating > 0 {
				out = append(out, string(api)+" "+route+" x"+strconv.Itoa(r.Mutating))
			}
		}
	}
	sort.Strings(out)
	return out
}

// unmodelled groups the unmodelled-route errors by API and request, in the
// order each was first asked.
func unmodelled(errs []RecordedError) []UnmodelledRequest {
	out := []UnmodelledRequest{}
	at := map[UnmodelledRequest]int{}
	for _, e := range errs {
		if e.Kind != "unmodelled" {
			continue
		}
		k := UnmodelledRequest{API: e.API, Request: e.Detail}
		if i, ok := at[k]; ok {
			out[i].Count++
			continue
		}
		at[k] = len(out)
		k.Count = 1
		out = append(out, k)
	}
	return out
}
