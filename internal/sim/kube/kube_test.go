package kube

import (
	"context"
	"crypto/tls"
	stdx509 "crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/siderolabs/crypto/x509"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

const endpoint = "k8s.lab.internal:6443"

type fixture struct {
	env     *simcore.Env
	c       *Cluster
	healthy atomic.Bool
	ca      *x509.CertificateAuthority
}

func newFixture(t *testing.T, p simcore.Profile, scale float64) *fixture {
	t.Helper()
	ca, err := x509.NewSelfSignedCertificateAuthority(x509.ECDSA(true))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{env: simcore.NewEnv(p, scale, 1), ca: ca}
	f.c, err = Start(f.env, Spec{Name: "lab", Endpoint: endpoint, CACert: ca.CrtPEM, CAKey: ca.KeyPEM,
		Version: "v1.36.3", EtcdHealthy: f.healthy.Load, Storage: startEtcd(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.c.Close)
	return f
}

// client returns an HTTPS client presenting a certificate with the given
// organization, dialing the endpoint through the simulator's address map.
func (f *fixture) client(t *testing.T, org string) *http.Client {
	t.Helper()
	kp, err := x509.NewKeyPair(f.ca, x509.CommonName("admin"), x509.Organization(org),
		x509.ExtKeyUsage([]stdx509.ExtKeyUsage{stdx509.ExtKeyUsageClientAuth}))
	if err != nil {
		t.Fatal(err)
	}
	pool := stdx509.NewCertPool()
	pool.AppendCertsFromPEM(f.ca.CrtPEM)
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{*kp.Certificate}},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			lo, ok := f.env.Net.Lookup(addr)
			if !ok {
				t.Errorf("dial of unmapped address %s", addr)
				return nil, &net.AddrError{Err: "unmapped", Addr: addr}
			}
			return (&net.Dialer{}).DialContext(ctx, network, lo)
		},
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func get(t *testing.T, c *http.Client, path string) (int, string) {
	t.Helper()
	resp, err := c.Get("https://" + endpoint + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHealthFollowsBootstrapAndEtcd(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1)
	c := f.client(t, "system:masters")

	code, body := get(t, c, "/readyz")
	if code != 500 || !strings.Contains(body, "[-]etcd failed: reason withheld") || !strings.HasSuffix(body, "readyz check failed\n") {
		t.Fatalf("readyz before bootstrap = %d %q", code, body)
	}
	if code, _ := get(t, c, "/api/v1/nodes"); code != 503 {
		t.Fatalf("nodes before bootstrap = %d, want 503", code)
	}
	f.healthy.Store(true)
	f.c.SetBootstrapped(f.env.Now())
	for _, p := range []string{"/readyz", "/livez", "/healthz"} {
		if code, body := get(t, c, p); code != 200 || body != "ok" {
			t.Fatalf("%s = %d %q", p, code, body)
		}
	}
	if _, body := get(t, c, "/readyz?verbose"); !strings.Contains(body, "[+]informer-sync ok") || !strings.HasSuffix(body, "readyz check passed\n") {
		t.Fatalf("verbose readyz = %q", body)
	}
	f.healthy.Store(false)
	code, body = get(t, c, "/livez")
	if code != 500 || !strings.Contains(body, "[-]etcd failed") || strings.Contains(body, "etcd-readiness") {
		t.Fatalf("livez without quorum = %d %q", code, body)
	}
	code, body = get(t, c, "/api/v1/nodes")
	if code != 500 || !strings.Contains(body, `"message":"etcdserver: request timed out"`) || strings.Contains(body, `"reason"`) {
		t.Fatalf("nodes without quorum = %d %s", code, body)
	}
}

func TestVersionAndNodes(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1)
	f.healthy.Store(true)
	f.c.SetBootstrapped(f.env.Now())
	f.c.SetNode(Node{Name: "cp-1", InternalIP: "10.20.0.11", ControlPlane: true, KubeletSince: f.env.Now(),
		Labels: map[string]string{"topology.kubernetes.io/zone": "fr-par-1"}, CPUs: 4, MemoryBytes: 8 << 30})
	f.c.SetNode(Node{Name: "w-1", InternalIP: "10.20.0.21"})
	c := f.client(t, "system:masters")

	_, body := get(t, c, "/version")
	var v map[string]string
	if err := json.Unmarshal([]byte(body), &v); err != nil || v["gitVersion"] != "v1.36.3" || v["minor"] != "36" {
		t.Fatalf("version = %s (%v)", body, err)
	}

	code, body := get(t, c, "/api/v1/nodes")
	var list struct {
		Kind  string     `json:"kind"`
		Items []nodeJSON `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil || code != 200 || list.Kind != "NodeList" || len(list.Items) != 2 {
		t.Fatalf("nodes = %d %s (%v)", code, body, err)
	}
	cp := list.Items[0]
	if cp.Kind != "" || cp.Metadata.Labels["topology.kubernetes.io/zone"] != "fr-par-1" ||
		cp.Metadata.Labels["kubernetes.io/hostname"] != "cp-1" || cp.Metadata.Labels["node-role.kubernetes.io/control-plane"] != "" {
		t.Fatalf("control plane item = %+v", cp.Metadata)
	}
	if ready(cp) != "True" || cp.Status.Addresses[0] != (address{"InternalIP", "10.20.0.11"}) {
		t.Fatalf("cp-1 status = %+v", cp.Status)
	}
	if w := list.Items[1]; ready(w) != "Unknown" {
		t.Fatalf("w-1 without a kubelet: Ready = %s", ready(w))
	}

	code, body = get(t, c, "/api/v1/nodes/cp-1")
	if code != 200 || !strings.Contains(body, `"kind":"Node"`) {
		t.Fatalf("get node = %d %s", code, body)
	}
	if code, body := get(t, c, "/api/v1/nodes/nope"); code != 404 || !strings.Contains(body, `"reason":"NotFound"`) {
		t.Fatalf("missing node = %d %s", code, body)
	}
	if code, _ := get(t, f.client(t, "developers"), "/api/v1/nodes"); code != 403 {
		t.Fatalf("non-admin list = %d, want 403", code)
	}
}

func ready(n nodeJSON) string {
	for _, c := range n.Status.Conditions {
		if c.Type == "Ready" {
			return c.Status
		}
	}
	return ""
}

func TestUnmodelledRouteAndAnonymous(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1)
	c := f.client(t, "system:masters")
	if code, _ := get(t, c, "/apis/apps/v1/deployments"); code != 501 {
		t.Fatalf("unmodelled route = %d, want 501", code)
	}
	errs := f.env.Log.Errors()
	if len(errs) != 1 || errs[0].API != simcore.APIKube || errs[0].Kind != "unmodelled" {
		t.Fatalf("recorded errors = %+v", errs)
	}

	// Without a client certificate the handshake succeeds, as kube-apiserver's
	// does: the health and version paths answer, the rest is forbidden.
	pool := stdx509.NewCertPool()
	pool.AppendCertsFromPEM(f.ca.CrtPEM)
	lo, _ := f.env.Net.Lookup(endpoint)
	anon := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "k8s.lab.internal"},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, lo)
		}}}
	f.healthy.Store(true)
	f.c.SetBootstrapped(f.env.Now())
	for _, p := range []string{"/readyz", "/livez", "/healthz"} {
		if code, body := get(t, anon, p); code != 200 || body != "ok" {
			t.Errorf("anonymous %s = %d %q", p, code, body)
		}
	}
	if code, body := get(t, anon, "/version"); code != 200 || !strings.Contains(body, `"gitVersion":"v1.36.3"`) {
		t.Errorf("anonymous /version = %d %s", code, body)
	}
	if code, body := get(t, anon, "/api"); code != 403 || !strings.Contains(body, `"message":"forbidden: User \"system:anonymous\" cannot get path \"/api\""`) {
		t.Errorf("anonymous /api = %d %s", code, body)
	}
	if code, body := get(t, anon, "/api/v1/nodes"); code != 403 || !strings.Contains(body, `nodes is forbidden: User \"system:anonymous\" cannot list resource \"nodes\"`) {
		t.Errorf("anonymous node list = %d %s", code, body)
	}
	// A certificate from another CA is 401, after the handshake.
	other := newFixture(t, simcore.Instant, 1)
	foreign := other.client(t, "system:masters")
	foreign.Transport.(*http.Transport).TLSClientConfig.RootCAs = pool
	foreign.Transport.(*http.Transport).DialContext = anon.Transport.(*http.Transport).DialContext
	if code, body := get(t, foreign, "/api/v1/nodes"); code != 401 || !strings.Contains(body, `"reason":"Unauthorized"`) {
		t.Errorf("a foreign certificate = %d %s", code, body)
	}
}

// TestReadinessOrdering runs the realistic profile at a tiny scale: the API
// server is ready OpKubeReady after bootstrap, a node OpNodeReady after its
// kubelet started and only once the API server is ready.
func TestReadinessOrdering(t *testing.T) {
	f := newFixture(t, simcore.Realistic, 0.002) // 60s -> ~120ms, 45s -> ~90ms
	f.healthy.Store(true)
	start := f.env.Now()
	f.c.SetNode(Node{Name: "cp-1", InternalIP: "10.20.0.11", ControlPlane: true, KubeletSince: start})
	f.c.SetBootstrapped(start)
	if f.c.Ready() || f.c.NodeReady("cp-1") {
		t.Fatal("ready at once under the realistic profile")
	}
	deadline := time.Now().Add(5 * time.Second)
	for !f.c.Ready() && time.Now().Before(deadline) {
		if f.c.NodeReady("cp-1") {
			t.Fatal("node Ready before the API server")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got, want := time.Since(start), f.env.Delay(simcore.OpKubeReady, "lab"); got < want {
		t.Fatalf("ready after %v, before OpKubeReady %v", got, want)
	}
	for !f.c.NodeReady("cp-1") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if st := f.c.State(); !st.Ready || len(st.Nodes) != 1 || !st.Nodes[0].Ready {
		t.Fatalf("state = %+v", st)
	}
}
