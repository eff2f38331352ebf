package run

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tripod-dev/tripod/internal/retry"
)

// TestRetriesPollsAndRequestsReachTheStream: a step's retries become retry
// events naming the step, the API and the cause; a wait's polls are
// counted but become progress only when the status changed; every HTTP
// attempt through retry.Transport counts as a request of its API.
func TestRetriesPollsAndRequestsReachTheStream(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if hits.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	hc := &http.Client{Transport: &retry.Transport{Base: http.DefaultTransport, API: "proxmox", Timing: retry.Scaled(0.001)}}
	st := &fakeStage{name: "a", targets: []Target{{ID: "x"}}, fn: func(ctx context.Context, s *Step) error {
		n := 0
		err := retry.Do(ctx, retry.Policy{API: "scaleway", Initial: time.Millisecond}, func(context.Context) error {
			if n++; n < 3 {
				return retry.MarkTransient(errors.New("out of capacity"), time.Millisecond)
			}
			return nil
		})
		if err != nil {
			return err
		}
		statuses := []string{"1 of 3", "1 of 3", "1 of 3", "2 of 3"}
		polls := 0
		if err := retry.Wait(ctx, retry.Condition{API: "talos", Name: "delivery", Interval: time.Millisecond,
			Check: func(context.Context) (bool, string, error) {
				polls++
				if polls > len(statuses) {
					return true, "", nil
				}
				return false, statuses[polls-1], nil
			},
			Progress: func(status string) { s.Progress("delivery: %s", status) }}); err != nil {
			return err
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		return resp.Body.Close()
	}}
	var mu sync.Mutex
	var events []Event
	rep, err := (&Runner{Stages: []Stage{st}, Sink: SinkFunc(func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() })}).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[EventKind]int{}
	for _, e := range events {
		kinds[e.Kind]++
		if e.Kind == EventRetry && (e.Stage != "a" || e.Target != "x" || e.Error == "" || e.Attempt < 1) {
			t.Errorf("retry event without its step, attempt or cause: %+v", e)
		}
	}
	if kinds[EventRetry] != 3 || kinds[EventProgress] != 2 || kinds[EventStageStart] != 1 {
		t.Errorf("events %v: want 3 retries (2 scaleway, 1 proxmox), 2 progress (the status changed twice over 4 polls), 1 stage-start", kinds)
	}
	want := map[string]APICalls{"scaleway": {Retries: 2}, "talos": {Polls: 5}, "proxmox": {Requests: 2, Retries: 1}}
	for api, w := range want {
		if rep.Calls[api] != w {
			t.Errorf("calls of %s: %+v, want %+v", api, rep.Calls[api], w)
		}
	}
}
