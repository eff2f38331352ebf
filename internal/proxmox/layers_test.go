package proxmox

import (
	"context"
	"net"
	"net/http"
	"syscall"
	"testing"

	"github.com/tripod-dev/tripod/internal/retry"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// maxRequests is what one request may cost against an endpoint that keeps
// failing: retry.Transport's attempts (its default, 6), and no more. Before
// the layers were told apart, the read policy repeated what the transport
// had already repeated: 5 × 6 = 30 requests for one GET.
const maxRequests = 6

func proxmoxRequests(env *simcore.Env) int {
	return env.Log.Snapshot().APIs[simcore.APIProxmox].Total
}

// failAll makes every Proxmox request answer 503 from now on.
func failAll(t *testing.T, env *simcore.Env) {
	t.Helper()
	spec, err := simcore.ParseFaults("proxmox.5xx=1")
	if err != nil {
		t.Fatal(err)
	}
	env.Faults.Set(spec)
}

// A GET that keeps failing goes through one retry layer: the transport's.
func TestFailingGetSendsOneLayerOfRetries(t *testing.T) {
	f := newFleet(t)
	c := f.root(f.add("pve1", "DC2", "198.51.100.11", true))
	failAll(t, f.env)
	before := proxmoxRequests(f.env)
	_, err := c.ReadList(context.Background(), "/nodes/pve1/network")
	sent := proxmoxRequests(f.env) - before
	if StatusOf(err) != http.StatusServiceUnavailable {
		t.Fatalf("ReadList against a failing endpoint = %v, want its 503", err)
	}
	if sent != maxRequests {
		t.Errorf("one GET sent %d requests, want %d (the transport's attempts, not repeated above it)", sent, maxRequests)
	}
}

// A PUT, idempotent, is resent by the transport; Send does not repeat it
// again.
func TestFailingPutSendsOneLayerOfRetries(t *testing.T) {
	f := newFleet(t)
	ep := f.add("pve1", "DC2", "198.51.100.11", true)
	c := f.root(ep)
	fl := NewFleet(f.cfg, nil, nil)
	failAll(t, f.env)
	before := proxmoxRequests(f.env)
	err := fl.Node("pve1").Send(context.Background(), Request{Client: c, Method: http.MethodPut, Path: "/nodes/pve1/network"}, func(string, ...any) {})
	sent := proxmoxRequests(f.env) - before
	if StatusOf(err) != http.StatusServiceUnavailable {
		t.Fatalf("Send against a failing endpoint = %v, want its 503", err)
	}
	if sent != maxRequests {
		t.Errorf("one PUT sent %d requests, want %d", sent, maxRequests)
	}
}

// What the layer above the transport still repeats, and what it leaves to
// the transport alone.
func TestClassifyAboveTheTransport(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	for _, c := range []struct {
		err  error
		want retry.Class
	}{
		{&APIError{Method: http.MethodGet, Path: "/nodes", Status: 503}, retry.Fatal},             // the transport resent it
		{&APIError{Method: http.MethodGet, Path: "/nodes", Status: 429}, retry.Fatal},             // the transport resent it
		{&APIError{Method: http.MethodGet, Path: "/nodes", Status: 595}, retry.Transient},         // only PVE gives 595 its meaning
		{&APIError{Method: http.MethodPost, Path: "/nodes/a/qemu", Status: 503}, retry.Transient}, // not resent below: observed, then repeated
		{&APIError{Method: http.MethodPost, Path: "/access/ticket", Status: 503}, retry.Fatal},    // a login is replayed below
		{&APIError{Method: http.MethodGet, Err: refused}, retry.Fatal},
		{&APIError{Method: http.MethodPost, Path: "/nodes/a/qemu", Err: refused}, retry.Fatal}, // never left: resent below
		{&APIError{Method: http.MethodPost, Path: "/nodes/a/qemu", Err: syscall.ECONNRESET}, retry.Transient},
		{&APIError{Err: context.DeadlineExceeded}, retry.Transient}, // not a call the transport saw
		{&APIError{Method: http.MethodGet, Status: 400}, retry.Fatal},
	} {
		if got := classifyAbove(c.err).Class; got != c.want {
			t.Errorf("classifyAbove(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
