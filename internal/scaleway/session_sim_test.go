package scaleway_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/retry"
	"github.com/tripod-dev/tripod/internal/scaleway"
	simscw "github.com/tripod-dev/tripod/internal/sim/scaleway"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// simSession is a Session on the Scaleway simulator, over loopback.
func simSession(t *testing.T) *scaleway.Session {
	t.Helper()
	sim := simscw.New(simcore.NewEnv(simcore.Instant, 0, 1), simscw.NewCredentials(1))
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	c := sim.Credentials()
	url := srv.URL
	p := &scw.Profile{APIURL: &url, AccessKey: &c.AccessKey, SecretKey: &c.SecretKey, DefaultProjectID: &c.ProjectID}
	s, err := scaleway.NewSession(p, http.DefaultTransport, "", retry.Scaled(0.001), &retry.Counter{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDediboxOrderIsFoundAmongOrders: an order placed through the session
// is what DediboxOrder and DediboxOrders read back, still delivering and
// not terminated, and the offer's ID is read once per run.
func TestDediboxOrderIsFoundAmongOrders(t *testing.T) {
	s := simSession(t)
	ctx := context.Background()
	offer, err := s.OfferID(ctx, inventory.Dedibox, scw.ZoneFrPar1, "start-9-m")
	if err != nil {
		t.Fatal(err)
	}
	if again, err := s.OfferID(ctx, inventory.Dedibox, scw.ZoneFrPar1, "START-9-M"); err != nil || again != offer {
		t.Fatalf("second look-up: %q, %v; want %q from the cache", again, err, offer)
	}
	id, err := s.OrderDedibox(ctx, scw.ZoneFrPar1, offer, "dc3")
	if err != nil {
		t.Fatal(err)
	}
	o, err := s.DediboxOrder(ctx, scw.ZoneFrPar1, id)
	if err != nil || o == nil || o.Service != id {
		t.Fatalf("DediboxOrder(%d) = %+v, %v", id, o, err)
	}
	svcs, err := s.DediboxOrders(ctx, scw.ZoneFrPar1)
	if err != nil {
		t.Fatal(err)
	}
	listed := false
	for _, svc := range svcs {
		if svc.ID == id {
			listed = !scaleway.Terminated(svc)
		}
	}
	if !listed {
		t.Fatalf("order %d not among the project's live orders: %d listed", id, len(svcs))
	}
}
