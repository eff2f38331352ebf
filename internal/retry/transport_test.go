package retry

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestTransportRetriesSafely(t *testing.T) {
	var gets, posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		switch {
		case r.Method == http.MethodGet && gets.Add(1) <= 2:
			w.WriteHeader(http.StatusServiceUnavailable)
		case r.Method == http.MethodPost && r.URL.Path == "/throttled" && posts.Add(1) == 1:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
		case r.Method == http.MethodPost && r.URL.Path == "/broken":
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			w.Write(b)
		}
	}))
	defer srv.Close()
	var c Counter
	client := &http.Client{Transport: &Transport{Base: http.DefaultTransport, API: "x", Counter: &c, Timing: Scaled(0.001)}}

	resp, err := client.Get(srv.URL + "/a")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = client.Post(srv.URL+"/throttled", "text/plain", strings.NewReader("order"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST after 429: %v %v", resp, err)
	}
	if b, _ := io.ReadAll(resp.Body); string(b) != "order" {
		t.Fatalf("body not resent: %q", b)
	}
	resp.Body.Close()
	before := c.Counts()["x"]
	resp, err = client.Post(srv.URL+"/broken", "text/plain", strings.NewReader("order"))
	if err != nil || resp.StatusCode != 503 {
		t.Fatalf("POST 503 must come back to the caller, not be resent: %v %v", resp, err)
	}
	resp.Body.Close()
	if c.Counts()["x"] != before || before != 3 {
		t.Fatalf("retries counted: before %d after %d", before, c.Counts()["x"])
	}
}

func TestTransportCutsHangingGet(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			<-r.Context().Done()
			return
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	tm := Timing{Scale: 1, MinInterval: time.Millisecond, MinAttempt: 50 * time.Millisecond}
	client := &http.Client{Transport: &Transport{Base: http.DefaultTransport, Timing: tm, PerAttempt: 50 * time.Millisecond}}
	resp, err := client.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ok" || n.Load() != 2 {
		t.Fatalf("body %q attempts %d", b, n.Load())
	}
}

// hangUpOnce drops the connection of the first request to each path without
// an answer, as a server restarting under a kept-alive connection does.
func hangUpOnce(t *testing.T) (*httptest.Server, func(path string) int32) {
	var mu sync.Mutex
	seen := map[string]int32{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		mu.Lock()
		seen[r.URL.Path]++
		n := seen[r.URL.Path]
		mu.Unlock()
		if n == 1 {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			conn.Close()
			return
		}
		w.Write([]byte("ticket"))
	}))
	t.Cleanup(srv.Close)
	return srv, func(path string) int32 { mu.Lock(); defer mu.Unlock(); return seen[path] }
}

// TestTransportReplaysOnlyWhatIsHarmless: a POST cut without an answer
// comes back to the caller (it may have been carried out), unless the
// transport was told that repeating it is harmless (a login).
func TestTransportReplaysOnlyWhatIsHarmless(t *testing.T) {
	srv, seen := hangUpOnce(t)
	var c Counter
	tr := &Transport{Base: &http.Transport{DisableKeepAlives: true}, API: "x", Counter: &c, Timing: Scaled(0.001),
		Replayable: func(r *http.Request) bool { return r.URL.Path == "/access/ticket" }}
	client := &http.Client{Transport: tr}
	if _, err := client.Post(srv.URL+"/order", "text/plain", strings.NewReader("order")); err == nil {
		t.Fatal("a POST cut without an answer was resent")
	}
	if seen("/order") != 1 || c.Counts()["x"] != 0 {
		t.Fatalf("order sent %d times, %d retries", seen("/order"), c.Counts()["x"])
	}
	resp, err := client.Post(srv.URL+"/access/ticket", "text/plain", strings.NewReader("password"))
	if err != nil {
		t.Fatalf("a login cut without an answer was not resent: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ticket" || seen("/access/ticket") != 2 || c.Counts()["x"] != 1 {
		t.Fatalf("login: body %q, sent %d times, %d retries", b, seen("/access/ticket"), c.Counts()["x"])
	}
}

// refuseOnce fails its first dial, as a service between two listeners does.
type refuseOnce struct {
	base  http.RoundTripper
	dials atomic.Int32
}

func (r *refuseOnce) RoundTrip(req *http.Request) (*http.Response, error) {
	if r.dials.Add(1) == 1 {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	}
	return r.base.RoundTrip(req)
}

// TestTransportRetriesAnyMethodThatNeverLeft: a refused connection carried
// nothing, so even an order is sent again; a reset one may have.
func TestTransportRetriesAnyMethodThatNeverLeft(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
	}))
	defer srv.Close()
	var c Counter
	base := &refuseOnce{base: http.DefaultTransport}
	client := &http.Client{Transport: &Transport{Base: base, API: "x", Counter: &c, Timing: Scaled(0.001)}}
	resp, err := client.Post(srv.URL, "text/plain", strings.NewReader("order"))
	if err != nil {
		t.Fatalf("POST after a refused dial: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "order" || c.Counts()["x"] != 1 {
		t.Fatalf("body %q, %d retries", b, c.Counts()["x"])
	}
	reset := roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	})
	client = &http.Client{Transport: &Transport{Base: reset, API: "y", Counter: &c, Timing: Scaled(0.001)}}
	if _, err := client.Post(srv.URL, "text/plain", strings.NewReader("order")); err == nil || c.Counts()["y"] != 0 {
		t.Fatalf("a POST reset after it left was retried: %v, %d retries", err, c.Counts()["y"])
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
