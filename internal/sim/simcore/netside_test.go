package simcore

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

func TestSideOf(t *testing.T) {
	for _, c := range []struct {
		addr, service string
		want          Side
	}{
		{"10.20.0.11:50000", "talos", SidePrivate},
		{"192.168.40.11:6443", "kube", SidePrivate},
		{"172.16.3.4:22", "ssh", SidePrivate},
		{"k8s.prod.internal:6443", "kube", SidePrivate},
		{"198.51.100.7:8006", "proxmox", SidePublic},
		{"203.0.113.9:22", "ssh", SidePublic},
		{"factory.talos.dev:443", "factory", SidePublic},
	} {
		if got := SideOf(c.addr, c.service); got != c.want {
			t.Errorf("SideOf(%s, %s) = %s, want %s", c.addr, c.service, got, c.want)
		}
	}
}

// The default keeps today's map: every entry, private or public, on
// loopback and published.
func TestOperatorPrivatePublishesEveryEntry(t *testing.T) {
	e := NewEnv(Instant, 1, 1)
	defer e.Net.CloseAll()
	if e.OperatorPosition() != OperatorPrivate {
		t.Fatalf("default operator position %s", e.OperatorPosition())
	}
	for _, a := range []string{"10.20.0.11:50000", "198.51.100.7:8006"} {
		ln, err := e.Listen(a, "DC3", "talos")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(ln.Addr().String(), "127.0.0.1:") {
			t.Errorf("%s listens on %s", a, ln.Addr())
		}
		if _, ok := e.Net.Lookup(a); !ok {
			t.Errorf("%s not in the map", a)
		}
	}
	if n := len(e.Net.Entries()); n != 2 {
		t.Fatalf("published %d entries, want 2", n)
	}
}

func TestOperatorPublicHidesPrivateEntries(t *testing.T) {
	e := NewEnv(Instant, 1, 1)
	e.SetOperator(OperatorPublic)
	defer e.Net.CloseAll()
	priv, err := e.Listen("10.20.0.11:50000", "DC3", "talos")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := e.Listen("198.51.100.7:8006", "DC3", "proxmox")
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(priv.Addr().String(), "127.") {
		t.Errorf("private entry has a loopback socket %s", priv.Addr())
	}
	if !strings.HasPrefix(pub.Addr().String(), "127.0.0.1:") {
		t.Errorf("public entry listens on %s", pub.Addr())
	}
	if _, ok := e.Net.Lookup("10.20.0.11:50000"); ok {
		t.Error("private entry has a loopback mapping")
	}
	got := e.Net.Entries()
	if len(got) != 1 || got[0].Address != "198.51.100.7:8006" || got[0].Side != SidePublic {
		t.Fatalf("published %+v, want only the public entry", got)
	}
	if en, ok := e.Net.Entry("10.20.0.11:50000"); !ok || en.Side != SidePrivate || en.Loopback != "" {
		t.Fatalf("private entry %+v %v", en, ok)
	}
	ctx := context.Background()
	if _, err := e.DialPrivate(ctx, "pve-1", "198.51.100.7:8006"); err == nil {
		t.Error("DialPrivate reached a public address")
	}
	if _, err := e.DialPrivate(ctx, "pve-1", "10.20.0.99:50000"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial of an address nothing listens on: %v, want connection refused", err)
	}
}

// HTTPS with HTTP/2 and gRPC both work over the in-memory listener, and
// a dark placement holds the connection without an answer.
func TestDialPrivateCarriesTLSAndGRPC(t *testing.T) {
	e := NewEnv(Instant, 1, 1)
	e.SetOperator(OperatorPublic)
	defer e.Net.CloseAll()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		return e.DialPrivate(ctx, "pve-1", addr)
	}

	ln, err := e.Listen("10.20.0.12:6443", "DC3", "kube")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Proto)
	}))
	srv.Listener, srv.EnableHTTP2 = ln, true
	srv.StartTLS()
	defer srv.Close()
	hc := srv.Client()
	tr := hc.Transport.(*http.Transport)
	tr.DialContext = dial
	tr.TLSClientConfig.ServerName = "127.0.0.1" // httptest's certificate names loopback only
	resp, err := hc.Get("https://10.20.0.12:6443/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "HTTP/2.0" {
		t.Errorf("served over %q, want HTTP/2.0", body)
	}

	gln, err := e.Listen("10.20.0.12:50000", "DC5", "talos")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	healthpb.RegisterHealthServer(gs, health.NewServer())
	go gs.Serve(gln)
	defer gs.Stop()
	cc, err := grpc.NewClient("passthrough:///10.20.0.12:50000",
		grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithContextDialer(func(ctx context.Context, a string) (net.Conn, error) { return dial(ctx, "tcp", a) }))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	hr, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || hr.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("gRPC over the private listener: %v %v", hr, err)
	}

	e.Faults.SetDark("DC3", true)
	c, err := e.DialPrivate(ctx, "pve-2", "10.20.0.12:6443")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("\x16\x03\x01\x00\x05hello")) // a TLS record start: a live server would answer or close
	c.SetReadDeadline(time.Now().Add(150 * time.Millisecond))
	if n, err := c.Read(make([]byte, 1)); n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a dark datacenter answered: n=%d err=%v", n, err)
	}
}
