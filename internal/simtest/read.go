package simtest

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/tripod-dev/tripod/internal/talos"
)

// ReadPrivate reads a file tripod wrote that must be 0600 (a secret, a
// machine config, a kubeconfig), failing t if it is not.
func ReadPrivate(t testing.TB, path string) []byte {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Kubeconfig parses a kubeconfig tripod wrote, with the parser tripod
// itself uses.
func Kubeconfig(t testing.TB, data []byte) *talos.Kubeconfig {
	t.Helper()
	k, err := talos.ParseKubeconfig(data)
	if err != nil {
		t.Fatalf("kubeconfig: %v", err)
	}
	return k
}

// HTTPDialer makes HTTP clients that reach the simulated world (a
// *netx.Dialer in simulation).
type HTTPDialer interface {
	HTTPClient(tlsConf *tls.Config, timeout time.Duration) *http.Client
}

// KubeClient is an HTTPS client for k's API server, with its CA and
// client certificate, through d.
func KubeClient(t testing.TB, d HTTPDialer, k *talos.Kubeconfig, timeout time.Duration) *http.Client {
	t.Helper()
	tlsConf, err := k.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	return d.HTTPClient(tlsConf, timeout)
}

// NodeLabels lists every node's labels from the API server at server.
func NodeLabels(t testing.TB, hc *http.Client, server string) map[string]map[string]string {
	t.Helper()
	resp, err := hc.Get(server + "/api/v1/nodes")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var list struct {
		Items []struct {
			Metadata struct {
				Name   string            `json:"name"`
				Labels map[string]string `json:"labels"`
			} `json:"metadata"`
		} `json:"items"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &list) != nil {
		t.Fatalf("GET /api/v1/nodes: %s: %s", resp.Status, body)
	}
	out := map[string]map[string]string{}
	for _, item := range list.Items {
		out[item.Metadata.Name] = item.Metadata.Labels
	}
	return out
}
