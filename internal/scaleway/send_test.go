package scaleway

import (
	"context"
	"testing"

	dedibox "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/retry"
)

// TestSendOnceLooksBeforeResending: a send without a usable answer is
// looked for before it is sent again, at most sendAttempts times; an
// answered refusal is never sent again nor looked for.
func TestSendOnceLooksBeforeResending(t *testing.T) {
	const json = "application/json"
	cases := []struct {
		name, body   string
		status       int
		found        bool
		sends, looks int
		ok           bool
	}{
		{"lost answer, taken", `{"message":"unavailable"}`, 503, true, 1, 1, true},
		{"lost answer, never taken", `{"message":"unavailable"}`, 503, false, sendAttempts, sendAttempts - 1, false},
		{"refused", `{"message":"resource is out of stock","resource":"dedibox_server","type":"out_of_stock"}`, 412, false, 1, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := answering(t, tc.status, json, tc.body)
			s := &Session{Client: c, timing: retry.Scaled(0.00001), retries: &retry.Counter{}}
			sends, looks, warned := 0, 0, 0
			gate := func(ctx context.Context, send func(context.Context) error) error { sends++; return send(ctx) }
			err := s.SendOnce(context.Background(), "order server a", gate,
				func(string, ...any) { warned++ }, func(string, ...any) {},
				func(ctx context.Context) error {
					_, err := s.Dedibox.GetServer(&dedibox.GetServerRequest{Zone: scw.ZoneFrPar1, ServerID: 1}, scw.WithContext(ctx))
					return err
				},
				func(context.Context) (bool, error) { looks++; return tc.found, nil })
			if (err == nil) != tc.ok || sends != tc.sends || looks != tc.looks || warned != tc.looks {
				t.Fatalf("err %v, %d sends, %d looks, %d warnings; want ok=%v, %d sends, %d looks", err, sends, looks, warned, tc.ok, tc.sends, tc.looks)
			}
			if want := max(tc.looks-btoi(tc.found), 0); s.retries.Counts()["scaleway"] != want {
				t.Errorf("%d resends counted, want %d", s.retries.Counts()["scaleway"], want)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
