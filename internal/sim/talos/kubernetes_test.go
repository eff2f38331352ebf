package talos

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/client"
	"google.golang.org/grpc/codes"
	"gopkg.in/yaml.v3"
)

// kubeClient builds an HTTPS client from a kubeconfig, dialing through the
// address map.
func kubeClient(t *testing.T, h *harness, kubeconfig []byte) (*http.Client, string) {
	t.Helper()
	var kc struct {
		Clusters []struct {
			Cluster struct {
				Server string `yaml:"server"`
				CA     string `yaml:"certificate-authority-data"`
			} `yaml:"cluster"`
		} `yaml:"clusters"`
		Users []struct {
			User struct {
				Cert string `yaml:"client-certificate-data"`
				Key  string `yaml:"client-key-data"`
			} `yaml:"user"`
		} `yaml:"users"`
		Current string `yaml:"current-context"`
	}
	if err := yaml.Unmarshal(kubeconfig, &kc); err != nil || len(kc.Clusters) != 1 || len(kc.Users) != 1 {
		t.Fatalf("kubeconfig %q: %v", kubeconfig, err)
	}
	dec := func(s string) []byte {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cert, err := tls.X509KeyPair(dec(kc.Users[0].User.Cert), dec(kc.Users[0].User.Key))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(dec(kc.Clusters[0].Cluster.CA))
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}},
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			return h.dial(ctx, addr)
		},
	}
	t.Cleanup(tr.CloseIdleConnections)
	if kc.Current != "admin@lab" {
		t.Fatalf("current context %q", kc.Current)
	}
	return &http.Client{Transport: tr, Timeout: time.Until(waitDeadline(t))}, kc.Clusters[0].Cluster.Server
}

func kubeGet(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func testKubernetes(t *testing.T, h *harness) {
	ctx := testCtx(t)
	if _, err := h.secure("10.20.0.21").Kubeconfig(ctx); code(err) != codes.Unimplemented {
		t.Fatalf("Kubeconfig on a worker: %v", err)
	}
	kubeconfig, err := h.secure("10.20.0.11").Kubeconfig(client.WithNodes(ctx, "10.20.0.12"))
	if err != nil {
		t.Fatal(err)
	}
	c, server := kubeClient(t, h, kubeconfig)
	if server != "https://"+endpoint {
		t.Fatalf("server %q", server)
	}
	if code, body := kubeGet(t, c, server+"/readyz"); code != 200 || body != "ok" {
		t.Fatalf("/readyz = %d %q", code, body)
	}
	if _, body := kubeGet(t, c, server+"/version"); !strings.Contains(body, `"gitVersion":"v1.36.3"`) {
		t.Fatalf("/version = %s", body)
	}
	var list struct {
		Items []struct {
			Metadata struct {
				Name   string            `json:"name"`
				Labels map[string]string `json:"labels"`
			} `json:"metadata"`
			Status struct {
				Conditions []struct{ Type, Status string } `json:"conditions"`
			} `json:"status"`
		} `json:"items"`
	}
	err = await(ctx, "5 nodes Ready", func() bool {
		_, body := kubeGet(t, c, server+"/api/v1/nodes")
		if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Items) != 5 {
			return false
		}
		for _, it := range list.Items {
			for _, cond := range it.Status.Conditions {
				if cond.Type == "Ready" && cond.Status != "True" {
					return false
				}
			}
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	zones := map[string]string{}
	for _, it := range list.Items {
		zones[it.Metadata.Name] = it.Metadata.Labels["topology.kubernetes.io/zone"]
	}
	for _, n := range lab {
		if zones[n.name] != n.zone {
			t.Fatalf("zones = %v", zones)
		}
	}
}
