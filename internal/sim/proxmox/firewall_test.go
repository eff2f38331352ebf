package proxmox_test

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// The firewall API keeps PVE's semantics: a rule created without pos goes
// to the top, disabled unless enable=1; positions renumber; bad values are
// 400s naming the parameter.
func TestFirewallAPI(t *testing.T) {
	w := newWorld(t)
	w.addHost("pve1", "DC2", "198.51.100.11")
	for _, r := range []url.Values{
		{"type": {"in"}, "action": {"ACCEPT"}, "macro": {"SSH"}, "enable": {"1"}},
		{"type": {"in"}, "action": {"ACCEPT"}, "proto": {"tcp"}, "dport": {"8006"}, "source": {"192.0.2.0/24"}},
	} {
		if st, _ := rawCall(t, w, "pve1", http.MethodPost, "/cluster/firewall/rules", r); !strings.HasPrefix(st, "200") {
			t.Fatalf("create rule: %s", st)
		}
	}
	_, body := rawCall(t, w, "pve1", http.MethodGet, "/cluster/firewall/rules", nil)
	rules, _ := body["data"].([]any)
	if len(rules) != 2 {
		t.Fatalf("rules = %v", body)
	}
	top := rules[0].(map[string]any)
	if top["pos"] != float64(0) || top["dport"] != "8006" || top["enable"] != float64(0) || top["ipversion"] != float64(4) {
		t.Fatalf("newest rule is not first and disabled: %v", top)
	}
	if st, _ := rawCall(t, w, "pve1", http.MethodPut, "/cluster/firewall/rules/0", url.Values{"moveto": {"1"}}); !strings.HasPrefix(st, "200") {
		t.Fatalf("move: %s", st)
	}
	_, body = rawCall(t, w, "pve1", http.MethodGet, "/cluster/firewall/rules/0", nil)
	if d, _ := body["data"].(map[string]any); d["macro"] != "SSH" {
		t.Fatalf("after moveto, rule 0 = %v", body)
	}
	st, body := rawCall(t, w, "pve1", http.MethodPost, "/nodes/pve1/firewall/rules",
		url.Values{"type": {"in"}, "action": {"ALLOW"}, "dport": {"70000"}, "proto": {"tcp"}})
	errs, _ := body["errors"].(map[string]any)
	if !strings.HasPrefix(st, "400") || errs["action"] == nil || errs["dport"] == nil {
		t.Fatalf("bad rule: %s %v", st, body)
	}
	st, body = rawCall(t, w, "pve1", http.MethodPut, "/cluster/firewall/options", url.Values{"enable": {"1"}, "policy_in": {"DROPP"}})
	if errs, _ := body["errors"].(map[string]any); !strings.HasPrefix(st, "400") || errs["policy_in"] == nil {
		t.Fatalf("bad policy: %s %v", st, body)
	}
	_, body = rawCall(t, w, "pve1", http.MethodGet, "/cluster/firewall/options", nil)
	if d, _ := body["data"].(map[string]any); d["enable"] != nil {
		t.Fatalf("a refused PUT changed the options: %v", body)
	}
}

// A firewall that drops the operator's source makes SSH and the API time
// out, a REJECT refuses at once, and the exposure query says the same.
func TestFirewallFiltersTheOperator(t *testing.T) {
	w := newWorldWith(t, simcore.Instant, 0.01) // a DROP holds for 127 s scaled: 1.27 s
	start := time.Now()
	defer func() {
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("the DROPs took %v: the SYN timeout is not scaled", d)
		}
	}()
	w.addHost("pve1", "DC2", "198.51.100.11")
	if ex, _ := w.sim.Exposure("203.0.113.10", "pve1"); strings.Join(ex.Accepts, " ") != "22/tcp 8006/tcp 3128/tcp 111/tcp 111/udp" {
		t.Fatalf("a fresh install exposes %v", ex.Accepts)
	}
	rawCall(t, w, "pve1", http.MethodPost, "/cluster/firewall/rules",
		url.Values{"type": {"in"}, "action": {"ACCEPT"}, "macro": {"SSH"}, "enable": {"1"}, "source": {"203.0.113.0/24"}})
	if st, _ := rawCall(t, w, "pve1", http.MethodPut, "/cluster/firewall/options", url.Values{"enable": {"1"}}); !strings.HasPrefix(st, "200") {
		t.Fatalf("enable: %s", st)
	}
	ex, err := w.sim.Exposure("203.0.113.10", "pve1")
	if err != nil || strings.Join(ex.Accepts, " ") != "22/tcp" {
		t.Fatalf("exposure after enable = %v, %v", ex.Accepts, err)
	}
	if _, err := w.dialSSH("pve1", "root", w.key); err != nil {
		t.Fatalf("SSH from an allowed source: %v", err)
	}
	hc := w.httpClient("pve1", "")
	hc.Timeout = 2 * time.Second
	if _, err := hc.Get(w.apiURL("pve1") + "/version"); err == nil {
		t.Fatal("8006 answered through a DROP")
	}
	// The host's own SSH reaches its API through lo, which the firewall accepts.
	jump, err := w.dialSSH("pve1", "root", w.key)
	if err != nil {
		t.Fatal(err)
	}
	defer jump.Close()
	tunnel := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext:     func(ctx context.Context, _, addr string) (net.Conn, error) { return jump.DialContext(ctx, "tcp", addr) },
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // only reachability is under test
	}}
	resp, err := tunnel.Get(w.apiURL("pve1") + "/version")
	if err != nil {
		t.Fatalf("the API through the host's SSH: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the API through the host's SSH answered %s", resp.Status)
	}
	w.sim.OperatorSource = "192.0.2.7"
	if ex, _ := w.sim.Exposure("192.0.2.7", "pve1"); len(ex.Accepts) != 0 {
		t.Fatalf("a stranger reaches %v", ex.Accepts)
	}
	if _, err := w.dialSSH("pve1", "root", w.key); err == nil {
		t.Fatal("SSH from a stranger got through")
	}
	if ex, _ := w.sim.Exposure("198.51.100.99", "pve1"); strings.Join(ex.Accepts, " ") != "22/tcp 8006/tcp 3128/tcp" {
		t.Fatalf("PVE's local_network reaches %v", ex.Accepts)
	}
}

// sshd enforces what it last loaded: a drop-in changes nothing until
// `systemctl reload ssh`, a bad one fails the reload and changes nothing.
func TestSSHDSettings(t *testing.T) {
	w := newWorld(t)
	w.addHost("pve1", "DC2", "198.51.100.11")
	login := func() error {
		lb, _ := w.env.Net.Lookup("198.51.100.11:22")
		_, err := ssh.Dial("tcp", lb, &ssh.ClientConfig{User: "root", Auth: []ssh.AuthMethod{ssh.Password("pw-pve1")},
			HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second})
		return err
	}
	if err := login(); err != nil {
		t.Fatalf("password login on a fresh install: %v", err)
	}
	w.mustSSH("pve1", `printf 'PermitRootLogin prohibit-password\nPasswordAuthentication no\n' > /etc/ssh/sshd_config.d/tripod.conf`)
	if err := login(); err != nil {
		t.Fatalf("a drop-in took effect before the reload: %v", err)
	}
	w.mustSSH("pve1", "systemctl reload ssh")
	if err := login(); err == nil || !strings.Contains(err.Error(), "[none]") {
		t.Fatalf("password login after the reload: %v", err)
	}
	w.mustSSH("pve1", `printf 'PermitRootLogin maybe\n' > /etc/ssh/sshd_config.d/00-bad.conf`)
	if _, errOut, st := w.ssh("pve1", "systemctl reload ssh"); st != 1 || !strings.Contains(errOut, "ssh.service failed") {
		t.Fatalf("bad config reload: %d %q", st, errOut)
	}
	if ex, _ := w.sim.Exposure("203.0.113.10", "pve1"); ex.Ports[len(ex.Ports)-1].Auth != "publickey; PermitRootLogin prohibit-password" {
		t.Fatalf("sshd after a failed reload: %+v", ex.Ports)
	}
}
