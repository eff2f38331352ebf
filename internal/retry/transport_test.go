package retry

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
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
