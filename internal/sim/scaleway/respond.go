package scaleway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"
)

// apiError is an error answered in Scaleway's JSON shape. Body is written as
// is: typed errors carry "type" so the SDK maps them to its typed errors, the
// recorded exceptions ({"message":"Not Found"}) carry none.
type apiError struct {
	Status int
	Body   map[string]any
}

// Error names the first detail's help too, so a refused preload says why.
func (e *apiError) Error() string {
	if d, ok := e.Body["details"].([]map[string]string); ok && len(d) > 0 && d[0]["help_message"] != "" {
		return fmt.Sprintf("%d %v: %s", e.Status, e.Body["message"], d[0]["help_message"])
	}
	return fmt.Sprintf("%d %v", e.Status, e.Body["message"])
}

// handler is one route's logic, run with the world locked at a fixed now.
// It returns the response body (nil for an empty body) or an *apiError.
type handler func(r *http.Request, now time.Time) (any, error)

// serve wraps h: the world is advanced to now before and after h (so hooks
// for what the response shows have fired before it is written), and the body
// is encoded while still locked so it cannot race later changes.
func (s *Sim) serve(okStatus int, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		now := s.env.Now().UTC()
		s.advance(now)
		body, err := h(r, now)
		s.advance(now)
		var raw []byte
		if err == nil && body != nil {
			raw, err = json.Marshal(body)
		}
		s.mu.Unlock()
		if err != nil {
			ae, ok := err.(*apiError)
			if !ok {
				ae = &apiError{Status: http.StatusInternalServerError, Body: map[string]any{"message": err.Error(), "type": "internal"}}
			}
			s.writeError(w, ae)
			return
		}
		s.writeRaw(w, okStatus, raw)
	}
}

// header sets the headers the real gateway sends on every answer.
func (s *Sim) header(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Server", "Scaleway API Gateway (simulator)")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("Strict-Transport-Security", "max-age=63072000")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Request-Id", seededUUID(s.env.Seed, "request", s.req.Add(1)))
}

func (s *Sim) writeRaw(w http.ResponseWriter, status int, raw []byte) {
	s.header(w)
	w.WriteHeader(status)
	if len(raw) > 0 {
		w.Write(raw)
	}
}

func (s *Sim) writeError(w http.ResponseWriter, e *apiError) {
	raw, _ := json.Marshal(e.Body)
	s.writeRaw(w, e.Status, raw)
}

// writeRouterError answers faults and unmodelled routes for simcore.Router.
func (s *Sim) writeRouterError(w http.ResponseWriter, _ *http.Request, status int, msg string) {
	typ := map[int]string{
		http.StatusNotImplemented:     "not_implemented",
		http.StatusServiceUnavailable: "service_unavailable",
		http.StatusTooManyRequests:    "too_many_requests",
	}[status]
	body := map[string]any{"message": msg}
	if typ != "" {
		body["type"] = typ
	}
	s.writeError(w, &apiError{Status: status, Body: body})
}

// notFound is the typed 404 used for every resource but Elastic Metal servers.
func notFound(resource, id string) error {
	return &apiError{Status: http.StatusNotFound, Body: map[string]any{
		"message": "resource is not found", "resource": resource, "resource_id": id, "type": "not_found",
	}}
}

// emServerNotFound is the recorded untyped 404 of a missing Elastic Metal server.
func emServerNotFound() error {
	return &apiError{Status: http.StatusNotFound, Body: map[string]any{"message": "Not Found"}}
}

// invalidArg is a 400 invalid_arguments with one detail.
func invalidArg(name, reason, help string) error {
	return &apiError{Status: http.StatusBadRequest, Body: map[string]any{
		"message": "invalid argument(s)", "type": "invalid_arguments",
		"details": []map[string]string{{"argument_name": name, "reason": reason, "help_message": help}},
	}}
}

func outOfStock(resource string) error {
	return &apiError{Status: http.StatusPreconditionFailed, Body: map[string]any{
		"message": "resource is out of stock", "resource": resource, "type": "out_of_stock",
	}}
}

func preconditionFailed(precondition, help string) error {
	return &apiError{Status: http.StatusPreconditionFailed, Body: map[string]any{
		"message": "precondition is not respected", "precondition": precondition,
		"help_message": help, "type": "precondition_failed",
	}}
}

func transientState(resource, id, state string) error {
	return &apiError{Status: http.StatusConflict, Body: map[string]any{
		"message": "resource is in a transient state", "resource": resource,
		"resource_id": id, "current_state": state, "type": "transient_state",
	}}
}

func quotaExceeded(resource string, quota, current int) error {
	return &apiError{Status: http.StatusForbidden, Body: map[string]any{
		"message": "quota(s) exceeded for this resource", "type": "quotas_exceeded",
		"details": []map[string]any{{"resource": resource, "quota": quota, "current": current}},
	}}
}

func permissionDenied(resource, action string) error {
	return &apiError{Status: http.StatusForbidden, Body: map[string]any{
		"message": "insufficient permissions", "type": "permissions_denied",
		"details": []map[string]string{{"resource": resource, "action": action}},
	}}
}

// decode reads a JSON request body; an empty body decodes as {}.
func decode(r *http.Request, v any) error {
	if r.Body == nil || r.ContentLength == 0 {
		return nil
	}
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		return invalidArg("body", "syntax", "request body is not valid JSON: "+err.Error())
	}
	return nil
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func isUUID(s string) bool { return uuidRE.MatchString(s) }

// pathUUID returns the path parameter name, or invalid_arguments if it is not a UUID.
func pathUUID(r *http.Request, name string) (string, error) {
	v := r.PathValue(name)
	if !isUUID(v) {
		return "", invalidArg(name, "constraint", "must be a valid UUID")
	}
	return v, nil
}

// pathUint returns the uint64 path parameter name (Dedibox IDs).
func pathUint(r *http.Request, name string) (uint64, error) {
	v, err := strconv.ParseUint(r.PathValue(name), 10, 64)
	if err != nil {
		return 0, invalidArg(name, "constraint", "must be an unsigned integer")
	}
	return v, nil
}

// page applies page and page_size (default 50, at most 100) to n items,
// returning the slice bounds. The SDK's pager relies on total_count.
func page(r *http.Request, n int) (lo, hi int, err error) {
	p, size := 1, 50
	q := r.URL.Query()
	if v := q.Get("page"); v != "" {
		if p, err = strconv.Atoi(v); err != nil || p < 1 {
			return 0, 0, invalidArg("page", "constraint", "must be a positive integer")
		}
	}
	if v := q.Get("page_size"); v != "" {
		if size, err = strconv.Atoi(v); err != nil || size < 1 || size > 100 {
			return 0, 0, invalidArg("page_size", "constraint", "must be between 1 and 100")
		}
	}
	lo = min((p-1)*size, n)
	return lo, min(lo+size, n), nil
}
