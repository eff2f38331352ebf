package simcore

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"
)

// ErrorWriter writes an error in one API's own wire shape (Scaleway's
// {"message","type"}, Proxmox's {"data":null,"message"}), so injected faults
// and unmodelled routes look like the real service to its real client.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, status int, message string)

// Router is an HTTP router for one simulated API. Every route is registered
// with its method, path template (net/http pattern syntax) and whether it
// mutates; the router counts requests per template, applies the fault model
// before the handler runs, and answers 501 (recorded as an error) for any
// route that was not registered: never a silent 200.
type Router struct {
	API      API
	Env      *Env
	WriteErr ErrorWriter
	// Before, if set, runs after routing and fault injection and may answer
	// the request itself (authentication, for instance) by returning false.
	Before func(w http.ResponseWriter, r *http.Request) bool

	mux      *http.ServeMux
	mutating map[string]bool
}

// NewRouter returns a router for api.
func NewRouter(env *Env, api API, writeErr ErrorWriter) *Router {
	return &Router{API: api, Env: env, WriteErr: writeErr, mux: http.NewServeMux(), mutating: map[string]bool{}}
}

// Handle registers a route. pattern is "METHOD /path/{param}"; mutating says
// whether a request to it changes state (reads sent as PATCH, like the
// Dedibox GetService, are registered as not mutating).
func (rt *Router) Handle(pattern string, mutating bool, h http.HandlerFunc) {
	rt.mux.HandleFunc(pattern, h)
	rt.mutating[pattern] = mutating
}

// ServeHTTP routes, records, injects faults and serves.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, pattern := rt.mux.Handler(r)
	if pattern == "" {
		detail := fmt.Sprintf("%s %s", r.Method, r.URL.Path)
		rt.Env.Log.Error(rt.API, "unmodelled", detail)
		rt.Env.Log.RecordStatus(rt.API, "UNMODELLED "+r.Method, r.Method != http.MethodGet, http.StatusNotImplemented)
		rt.WriteErr(w, r, http.StatusNotImplemented, "the simulator does not model "+detail)
		return
	}
	mut := rt.mutating[pattern]
	rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
	// A request a fault stops before the handler changed nothing, whatever
	// its route: it is logged as not mutating.
	logged := mut
	defer func() { rt.Env.Log.RecordStatus(rt.API, pattern, logged, rec.code) }()

	if d := rt.Env.Delay(OpAPIRoundTrip, pattern); d > 0 {
		time.Sleep(d)
	}
	f := rt.Env.Faults.DecideOn(rt.API, pattern, TransportHTTP)
	switch m := f.HTTP(); m.Move {
	case MoveRefuse:
		logged = false
		if m.RetryAfter {
			// Retry-After is whole seconds on the wire. The simulator's clock
			// is scaled, so a real gateway's "1" becomes what one simulated
			// second is here (usually "0": retry at once).
			secs := int(float64(f.RetryAfter) * rt.Env.TimeScale / float64(time.Second))
			rec.Header().Set("Retry-After", strconv.Itoa(secs))
		}
		rt.WriteErr(rec, r, m.Status, m.Message)
		return
	case MoveHang:
		logged, rec.code = false, 0 // never answered
		Hang(r, f.HangFor)
		return
	}
	if rt.Before != nil && !rt.Before(rec, r) {
		return
	}
	if f.HTTP().Move == MoveLose {
		// Served for real, then the answer is lost on the way back.
		lost := &statusRecorder{ResponseWriter: discard{h: http.Header{}}, code: http.StatusOK}
		rt.mux.ServeHTTP(lost, r)
		rec.code = 0
		Hang(r, f.HangFor)
		return
	}
	rt.mux.ServeHTTP(rec, r)
}

// discard is a ResponseWriter whose answer goes nowhere.
type discard struct{ h http.Header }

func (d discard) Header() http.Header         { return d.h }
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
func (d discard) WriteHeader(int)             {}

// Hang blocks until the client gives up or d passes.
func Hang(r *http.Request, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.Context().Done():
	case <-t.C:
	}
}

type statusRecorder struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wroteHeader {
		s.code, s.wroteHeader = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if !s.wroteHeader {
		s.wroteHeader = true
	}
	return s.ResponseWriter.Write(b)
}

// Flush lets streaming handlers flush through the recorder.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Patterns lists the registered route templates ("GET /api2/json/nodes"),
// sorted: what a conformance test walks, read from the router itself rather
// than from a copy kept by hand.
func (rt *Router) Patterns() []string {
	out := make([]string, 0, len(rt.mutating))
	for p := range rt.mutating {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// IsMutating says whether the route template was registered as mutating.
func (rt *Router) IsMutating(pattern string) bool { return rt.mutating[pattern] }
