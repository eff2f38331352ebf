package simtest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/netx"
)

// ThroughHosts is a dialer for the simulator at adminURL that reaches l's
// private network (network.subnet and the Kubernetes endpoint's name) as
// an operator on the internet does: through the SSH of the simulated hosts,
// as root with the SSH key tripod keeps in stateDir, accepting only host
// keys tripod pinned there. Tests use it to check a cluster with the files
// tripod wrote (talosconfig, kubeconfig) from the public side, where a
// direct dial of a private address is refused. It is closed when the test
// ends.
func ThroughHosts(t testing.TB, adminURL string, l *inventory.Loaded, stateDir string) *netx.Dialer {
	t.Helper()
	d, err := netx.Simulated(adminURL)
	if err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(filepath.Join(stateDir, "secrets", "ssh-key"))
	if err != nil {
		t.Fatalf("the cluster's SSH key: %v", err)
	}
	key, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatalf("the cluster's SSH key: %v", err)
	}
	cfg := &ssh.ClientConfig{User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(key)},
		HostKeyCallback: pinnedIn(filepath.Join(stateDir, "pins")), Timeout: 10 * time.Second}
	var jumps []netx.Jump
	for _, addr := range sshEndpoints(t, adminURL) {
		jumps = append(jumps, netx.Jump{Address: addr, Config: cfg})
	}
	subnet := l.Cluster.Network.Subnet
	var name string
	if u, err := url.Parse(l.Cluster.Talos.Endpoint); err == nil {
		name = u.Hostname()
	}
	routed := d.WithRoute(netx.RouterFunc(func(address string) []netx.Jump {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return nil
		}
		if a, err := netip.ParseAddr(host); (err == nil && subnet.Contains(a)) || host == name {
			return jumps
		}
		return nil
	}), 10*time.Second)
	t.Cleanup(func() { routed.Close() })
	return routed
}

// pinnedIn accepts a host key whose fingerprint tripod pinned (a
// <host>.ssh file in dir).
func pinnedIn(dir string) ssh.HostKeyCallback {
	return func(_ string, _ net.Addr, k ssh.PublicKey) error {
		files, _ := filepath.Glob(filepath.Join(dir, "*.ssh"))
		got := ssh.FingerprintSHA256(k)
		for _, f := range files {
			if b, err := os.ReadFile(f); err == nil && strings.TrimSpace(string(b)) == got {
				return nil
			}
		}
		return fmt.Errorf("host key %s is not pinned in %s", got, dir)
	}
}

// sshEndpoints are the public SSH addresses the simulator's map holds:
// the hosts' sshd.
func sshEndpoints(t testing.TB, adminURL string) []string {
	t.Helper()
	resp, err := http.Get(strings.TrimSuffix(adminURL, "/") + "/netmap")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m struct {
		Entries []struct {
			Address string `json:"address"`
			Service string `json:"service"`
			Side    string `json:"side"`
		} `json:"entries"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("/netmap: %v", err)
	}
	var out []string
	for _, e := range m.Entries {
		if e.Service == "ssh" && e.Side == "public" {
			out = append(out, e.Address)
		}
	}
	if len(out) == 0 {
		t.Fatal("the simulator serves no host SSH to reach the private network through")
	}
	return out
}
