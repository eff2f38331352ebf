package retry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Transport retries HTTP requests where that is safe whatever the method:
// a 429 (the server did not process it; Retry-After is honoured), and, for
// idempotent methods only, 502/503/504, connection failures and attempts
// cut by their own timeout. A connection that could not be opened is retried
// for every method (nothing was sent). Non-idempotent requests that fail
// otherwise are returned to the caller, who must observe before repeating
// them, unless Replayable says repeating them is harmless. The SDKs
// (scaleway-sdk-go, Telmate) run on top of it unmodified.
//
// It is the one retry layer for what it resends (Resends says which): a
// caller's own retries above it must not repeat those again, or one GET
// against a failing endpoint costs Attempts times the caller's attempts. A
// request therefore sends at most Attempts requests for what the transport
// decides, and the caller's policy covers only what the transport cannot
// decide (an answer only the API gives meaning to, an observed landing).
type Transport struct {
	Base       http.RoundTripper
	API        string
	Counter    *Counter
	Timing     Timing
	PerAttempt time.Duration // unscaled; default 30s
	Attempts   int           // default 6
	// Replayable marks requests whose method is not idempotent but whose
	// repetition changes nothing (a login that only issues a ticket).
	Replayable func(*http.Request) bool
}

var idempotent = map[string]bool{http.MethodGet: true, http.MethodHead: true, http.MethodOptions: true, http.MethodPut: true, http.MethodDelete: true}

// RoundTrip sends req, retrying as described on Transport.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	attempts := t.Attempts
	if attempts <= 0 {
		attempts = 6
	}
	per := t.PerAttempt
	if per <= 0 {
		per = 30 * time.Second
	}
	body, err := bufferBody(req)
	if err != nil {
		return nil, err
	}
	backoff := t.Timing.Interval(250 * time.Millisecond)
	obs := ObserverFrom(req.Context())
	for attempt := 1; ; attempt++ {
		obs.Request(t.API)
		resp, err := t.attempt(req, body, t.Timing.Attempt(per))
		wait, retry := t.decide(req, resp, err)
		if !retry || attempt >= attempts || req.Context().Err() != nil {
			return resp, err
		}
		if resp != nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		if wait <= 0 {
			wait = backoff/2 + rand.N(backoff/2+1)
			backoff = min(backoff*2, t.Timing.Interval(10*time.Second))
		}
		t.Counter.Add(t.API)
		obs.Retry(t.API, attempt, transportCause(req, resp, err), wait)
		if err := Sleep(req.Context(), wait); err != nil {
			return nil, err
		}
	}
}

// transportCause names why an attempt is resent: its error, or the
// status the server answered.
func transportCause(req *http.Request, resp *http.Response, err error) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("%s %s: HTTP %s", req.Method, req.URL.Path, resp.Status)
}

func bufferBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	b, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("failed to read request body: %w", err)
	}
	return b, nil
}

// attempt sends one try with its own deadline. The response body stays
// readable after attempt returns: the deadline is only released when the
// caller closes it.
func (t *Transport) attempt(req *http.Request, body []byte, timeout time.Duration) (*http.Response, error) {
	ctx, cancel := context.WithTimeoutCause(req.Context(), timeout, errAttemptTimeout)
	r := req.Clone(ctx)
	if body != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		// With a way to rewind the body, net/http resends a request on a
		// fresh connection when a reused one died before any byte of it
		// was written, whatever the method.
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	resp, err := t.Base.RoundTrip(r)
	if err != nil {
		cancel()
		if errors.Is(context.Cause(ctx), errAttemptTimeout) && req.Context().Err() == nil {
			return nil, fmt.Errorf("%s %s: %w after %s", req.Method, req.URL.Path, errAttemptTimeout, timeout)
		}
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

func (t *Transport) decide(req *http.Request, resp *http.Response, err error) (time.Duration, bool) {
	safe := Idempotent(req.Method) || (t.Replayable != nil && t.Replayable(req))
	status := 0
	if err == nil {
		status = resp.StatusCode
	}
	if !Resends(safe, status, err) {
		return 0, false
	}
	if status == http.StatusTooManyRequests {
		if s, e := strconv.Atoi(resp.Header.Get("Retry-After")); e == nil && s >= 0 {
			return time.Duration(s) * time.Second, true
		}
	}
	return 0, true
}

// Idempotent reports whether method may be sent twice with the effect of
// once (GET, HEAD, OPTIONS, PUT, DELETE).
func Idempotent(method string) bool { return idempotent[method] }

// Resends reports whether a Transport resends a request on its own (until
// its attempts run out) when it failed with err or, with err nil, was
// answered status; safe says the request may be repeated (an idempotent
// method, or one marked Replayable). Layers above a Transport ask it so that
// they do not repeat what it already repeated.
func Resends(safe bool, status int, err error) bool {
	if err != nil {
		return Default(err).Class == Transient && (safe || notSent(err))
	}
	switch status {
	case http.StatusTooManyRequests:
		return true
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return safe
	}
	return false
}

// notSent reports whether err happened before the request could leave: the
// connection was never opened.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
