package proxmox

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	pve "github.com/Telmate/proxmox-api-go/proxmox"

	"github.com/tripod-dev/tripod/internal/retry"
)

// APIError is a failed Proxmox API call with the evidence the API gave: the
// HTTP status, PVE's message and, for parameter errors, the per-parameter
// messages. It unwraps to Telmate's *ApiError or the transport's error.
// Request parameters are never part of it: some carry passwords.
type APIError struct {
	Node    string
	Method  string
	Path    string
	Status  int               // 0 when no answer came
	Message string            // PVE's message
	Params  map[string]string // PVE's per-parameter errors (400)
	Err     error
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("Proxmox API of %s: %s %s", e.Node, e.Method, e.Path)
	switch {
	case e.Status != 0:
		s += fmt.Sprintf(": %d %s", e.Status, http.StatusText(e.Status))
		if e.Message != "" {
			s += ": " + e.Message
		}
		for _, k := range sortedKeys(e.Params) {
			s += fmt.Sprintf(" (%s: %s)", k, e.Params[k])
		}
	case e.Err != nil:
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *APIError) Unwrap() error { return e.Err }

// wrap turns a Telmate error into an APIError naming the call.
func wrap(node, method, path string, err error) error {
	if err == nil {
		return nil
	}
	var pin *PinMismatchError
	if errors.As(err, &pin) {
		return pin // says everything itself
	}
	var inner *APIError
	if errors.As(err, &inner) { // one APIError, so StatusOf finds its status
		if inner.Node == "" {
			inner.Node = node
		}
		return err
	}
	e := &APIError{Node: node, Method: method, Path: path, Err: err}
	var ae *pve.ApiError
	if errors.As(err, &ae) {
		e.Status, _ = strconv.Atoi(ae.Code)
		e.Message = strings.TrimSpace(ae.Message)
		for k, v := range ae.Errors {
			if e.Params == nil {
				e.Params = map[string]string{}
			}
			e.Params[k] = strings.TrimSpace(fmt.Sprint(v))
		}
	}
	return e
}

// StatusOf is the HTTP status of a failed API call, 0 if it got no answer.
func StatusOf(err error) int {
	var e *APIError
	if errors.As(err, &e) {
		return e.Status
	}
	var ae *pve.ApiError
	if errors.As(err, &ae) {
		n, _ := strconv.Atoi(ae.Code)
		return n
	}
	return 0
}

// What Proxmox's answers mean to tripod, named here so that the stages test
// a meaning, not a status number (the peers of scaleway.IsNotFound and its
// kin).

// IsAuthRefused reports whether the API refused the credentials (401): a
// wrong root password, or a token that does not exist (any more) or whose
// secret is not the stored one.
func IsAuthRefused(err error) bool { return StatusOf(err) == http.StatusUnauthorized }

// IsCephNotReady reports whether a Ceph endpoint answered that Ceph is not
// usable on the node yet. PVE answers 500 on /nodes/{node}/ceph/... both
// before the packages are installed and before the cluster's ceph.conf
// exists (and while the monitors have no quorum); without its text, which
// tripod does not read, these cannot be told apart, so callers decide from
// where they are in the bring-up.
func IsCephNotReady(err error) bool { return StatusOf(err) == http.StatusInternalServerError }

// TaskError is a UPID task that ended in anything but OK or WARNINGS; Status
// is its exitstatus (PVE's error text, reported as evidence only).
type TaskError struct {
	Node, UPID, Type string
	Status           string
}

func (e *TaskError) Error() string {
	return fmt.Sprintf("task %s on %s failed: %s", e.Type, e.Node, e.Status)
}

// Classify decides whether a failed call is worth repeating, from what the
// API answered (status codes) and the error's type, never from its text:
// 429 and the gateway statuses (including pveproxy's 595/596 for a member
// it cannot reach) are transient; other answers, failed tasks and pin
// mismatches are fatal; no answer at all is what retry.Default says.
func Classify(err error) retry.Decision {
	var pin *PinMismatchError
	var task *TaskError
	switch {
	case errors.As(err, &pin), errors.As(err, &task):
		return retry.Decision{Class: retry.Fatal}
	}
	switch StatusOf(err) {
	case 0:
		return retry.Default(err)
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout, 595, 596:
		return retry.Decision{Class: retry.Transient}
	}
	if d := retry.Default(err); d.Class == retry.Transient {
		return d // an explicit mark or a cut attempt
	}
	return retry.Decision{Class: retry.Fatal}
}

// classifyAbove is Classify for the retries above a client's transport (the
// read policy, Send): what the transport already resent until its attempts
// ran out (retry.Resends) is not repeated again, so that each request has
// one retry layer. What is left to this layer: pveproxy's 595/596, errors
// from outside the transport, explicit marks, and what the transport does
// not resend (a POST's gateway error, which Send observes before repeating).
func classifyAbove(err error) retry.Decision {
	d := Classify(err)
	if d.Class == retry.Transient && resentBelow(err) {
		return retry.Decision{Class: retry.Fatal}
	}
	return d
}

// resentBelow reports whether err is a call's failure that the client's
// retry.Transport resends on its own.
func resentBelow(err error) bool {
	var e *APIError
	if !errors.As(err, &e) || e.Method == "" {
		return false
	}
	safe := retry.Idempotent(e.Method) || replayable(e.Method, e.Path)
	if e.Status != 0 {
		return retry.Resends(safe, e.Status, nil)
	}
	return e.Err != nil && retry.Resends(safe, 0, e.Err)
}

func sortedKeys[T any](m map[string]T) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
