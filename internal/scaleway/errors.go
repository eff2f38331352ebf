package scaleway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/retry"
)

// Error is a failed Scaleway call with what tripod was doing and what the
// API answered. It unwraps to the SDK's error, so errors.As still finds the
// SDK's typed errors (*scw.OutOfStockError, ...).
type Error struct {
	What    string // "list Dedibox offers in fr-par-1"; empty inside a mutation, which names itself
	Status  int    // HTTP status, when the SDK kept it (untyped answers)
	Type    string // the API's error type: out_of_stock, quotas_exceeded, ...
	Message string // the API's own words
	Err     error
}

func (e *Error) Error() string {
	ev := e.evidence()
	if e.What == "" {
		return ev
	}
	return "failed to " + e.What + ": " + ev
}

func (e *Error) Unwrap() error { return e.Err }

func (e *Error) evidence() string {
	var parts []string
	if e.Status != 0 {
		parts = append(parts, fmt.Sprintf("Scaleway answered %d %s", e.Status, http.StatusText(e.Status)))
	} else if e.Type != "" {
		parts = append(parts, "Scaleway answered "+e.Type)
	}
	if e.Message != "" {
		parts = append(parts, e.Message)
	}
	if len(parts) == 0 {
		return e.Err.Error() // no answer: the transport's error says why
	}
	return strings.Join(parts, ": ")
}

// Wrap describes err from a call made to do what (a phrase: "list Dedibox
// offers in fr-par-1"), with the API's evidence. nil stays nil.
func Wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	e := evidence(err)
	e.What = fmt.Sprintf(format, args...)
	return e
}

// Evidence is Wrap without a phrase, for calls made inside run.Step.Mutate
// (which already says what was being changed).
func Evidence(err error) error {
	if err == nil {
		return nil
	}
	return evidence(err)
}

func evidence(err error) *Error {
	e := &Error{Err: err}
	var re *scw.ResponseError
	if errors.As(err, &re) {
		e.Status, e.Type, e.Message = re.StatusCode, re.Type, re.Message
		if e.Message == re.Status || e.Message == http.StatusText(re.StatusCode) {
			e.Message = ""
		}
		return e
	}
	if typ, sdk, body, ok := typed(err); ok {
		// The SDK's own text carries the details (fields, quotas, states);
		// the body's message is the API's own sentence.
		e.Type, e.Message = typ, strings.TrimPrefix(sdk.Error(), "scaleway-sdk-go: ")
		var raw struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(body, &raw) == nil && raw.Message != "" && !strings.Contains(e.Message, raw.Message) {
			e.Message += " (" + raw.Message + ")"
		}
	}
	return e
}

// typed recognises the SDK's typed errors (an answer with a "type").
func typed(err error) (typ string, sdk error, body json.RawMessage, ok bool) {
	var (
		ia *scw.InvalidArgumentsError
		qe *scw.QuotasExceededError
		ts *scw.TransientStateError
		nf *scw.ResourceNotFoundError
		lk *scw.ResourceLockedError
		pd *scw.PermissionsDeniedError
		os *scw.OutOfStockError
		ex *scw.ResourceExpiredError
		da *scw.DeniedAuthenticationError
		pf *scw.PreconditionFailedError
	)
	switch {
	case errors.As(err, &ia):
		return "invalid_arguments", ia, ia.RawBody, true
	case errors.As(err, &qe):
		return "quotas_exceeded", qe, qe.RawBody, true
	case errors.As(err, &ts):
		return "transient_state", ts, ts.RawBody, true
	case errors.As(err, &nf):
		return "not_found", nf, nf.RawBody, true
	case errors.As(err, &lk):
		return "locked", lk, lk.RawBody, true
	case errors.As(err, &pd):
		return "permissions_denied", pd, pd.RawBody, true
	case errors.As(err, &os):
		return "out_of_stock", os, os.RawBody, true
	case errors.As(err, &ex):
		return "resource_expired", ex, ex.RawBody, true
	case errors.As(err, &da):
		return "denied_authentication", da, da.RawBody, true
	case errors.As(err, &pf):
		return "precondition_failed", pf, pf.RawBody, true
	}
	return "", nil, nil, false
}

// Classify decides whether a failed call is worth repeating, from the SDK's
// typed errors and the HTTP status only: a 429, a 5xx (the caller only
// repeats calls that are safe to repeat) and a resource in a transient state
// are transient; every other answer is final. Without an answer, the
// network error decides (retry.Default).
func Classify(err error) retry.Decision {
	if d := retry.Default(err); d.Class == retry.Transient {
		return d
	}
	var re *scw.ResponseError
	if errors.As(err, &re) {
		switch re.StatusCode {
		case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
			http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return retry.Decision{Class: retry.Transient}
		}
		return retry.Decision{Class: retry.Fatal}
	}
	var ts *scw.TransientStateError
	if errors.As(err, &ts) {
		return retry.Decision{Class: retry.Transient}
	}
	return retry.Decision{Class: retry.Fatal}
}

// Answered reports whether the API answered err with a refusal (a 4xx or a
// typed error): the call certainly did not take effect. A 5xx or a lost
// connection leaves that open, so a non-idempotent call must be looked for
// before it is repeated.
func Answered(err error) bool {
	var re *scw.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode >= 400 && re.StatusCode < 500
	}
	_, _, _, ok := typed(err)
	return ok
}

// IsNotFound reports whether err says the resource does not exist: the
// typed not_found, or a bare 404 (a deleted Elastic Metal server answers
// {"message":"Not Found"} without a type).
func IsNotFound(err error) bool {
	var nf *scw.ResourceNotFoundError
	var re *scw.ResponseError
	return errors.As(err, &nf) || (errors.As(err, &re) && re.StatusCode == http.StatusNotFound)
}

// IsOutOfStock reports whether err is the API's out_of_stock.
func IsOutOfStock(err error) bool {
	var os *scw.OutOfStockError
	return errors.As(err, &os)
}

// IsQuotaExceeded reports whether err is the API's quotas_exceeded.
func IsQuotaExceeded(err error) bool {
	var q *scw.QuotasExceededError
	return errors.As(err, &q)
}

// IsDeniedAuthentication reports whether the API refused the credentials.
func IsDeniedAuthentication(err error) bool {
	var da *scw.DeniedAuthenticationError
	return errors.As(err, &da)
}

// IsAccessDenied reports whether the API refused the call for lack of
// permission (403: the typed permissions_denied, or a bare 403), as IAM does
// for a project the key's application has no rights in. A quota refusal,
// also a 403, is not one.
func IsAccessDenied(err error) bool {
	var pd *scw.PermissionsDeniedError
	var re *scw.ResponseError
	return errors.As(err, &pd) || (errors.As(err, &re) && re.StatusCode == http.StatusForbidden && !IsQuotaExceeded(err))
}

// IsSDK reports whether err came back from the SDK (an answer, or a request
// that got none), rather than from tripod itself (a journal write, a bad
// ID).
func IsSDK(err error) bool {
	var se scw.SdkError
	return errors.As(err, &se)
}

// Resendable reports whether a failed create may be sent again once its
// result has been looked for: it came back from the SDK without an answer,
// or with one that says to try later (429, a resource in a transient
// state). Journal errors and answered refusals are not.
func Resendable(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil || !IsSDK(err) {
		return false
	}
	return !Answered(err) || Classify(err).Class == retry.Transient
}
