package proxmox_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	pxapi "github.com/Telmate/proxmox-api-go/proxmox"
	"golang.org/x/crypto/ssh"

	"github.com/tripod-dev/tripod/internal/sim/factory"
	"github.com/tripod-dev/tripod/internal/sim/proxmox"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// world is one simulated fleet plus the clients a test drives it with.
type world struct {
	t     *testing.T
	env   *simcore.Env
	sim   *proxmox.Cluster
	fac   *factory.Factory
	hosts map[string]simcore.HostInfo
	key   ssh.Signer
}

func newWorld(t *testing.T) *world { return newWorldWith(t, simcore.Instant, 1) }

func newWorldWith(t *testing.T, p simcore.Profile, scale float64) *world {
	t.Helper()
	env := simcore.NewEnv(p, scale, 42)
	w := &world{t: t, env: env, sim: proxmox.New(env), fac: factory.New(env), hosts: map[string]simcore.HostInfo{}}
	w.sim.Images = w.fac
	_, priv, _ := ed25519.GenerateKey(nil)
	w.key, _ = ssh.NewSignerFromKey(priv)
	t.Cleanup(func() {
		w.sim.Close()
		env.Net.CloseAll()
	})
	return w
}

// addHost installs a host: a system disk and two NVMe data disks.
func (w *world) addHost(name, placement, ip string) simcore.HostInfo {
	w.t.Helper()
	h := simcore.HostInfo{
		ServerID: "srv-" + name, Provider: "dedibox", Placement: placement, Hostname: name, PublicIP: ip,
		RootPassword: "pw-" + name, SSHKeys: []string{string(ssh.MarshalAuthorizedKey(w.key.PublicKey()))}, SSHEnabled: true,
		Threads: 32, MemoryBytes: 128 << 30, InstalledAt: w.env.Now().Add(-time.Hour),
		Disks: []simcore.Disk{{Device: "/dev/nvme0n1", Bytes: 960 << 30, Type: "nvme"},
			{Device: "/dev/nvme1n1", Bytes: 1920 << 30, Type: "nvme"}, {Device: "/dev/nvme2n1", Bytes: 1920 << 30, Type: "nvme"}},
	}
	if err := w.sim.AddHost(h); err != nil {
		w.t.Fatal(err)
	}
	w.hosts[name] = h
	return h
}

// three adds pve1..pve3 in DC2, DC3, DC5 (Paris), the tool's layout.
func (w *world) three() {
	w.addHost("pve1", "DC2", "198.51.100.11")
	w.addHost("pve2", "DC3", "198.51.100.12")
	w.addHost("pve3", "DC5", "198.51.100.13")
}

// httpClient dials the host's simulated address through the address map
// and pins fp (the host's current fingerprint when fp is "").
func (w *world) httpClient(host, fp string) *http.Client {
	if fp == "" {
		fp = w.sim.Fingerprint(host)
	}
	return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			lb, ok := w.env.Net.Lookup(addr)
			if !ok {
				return nil, fmt.Errorf("no simulated endpoint at %s", addr)
			}
			return (&net.Dialer{}).DialContext(ctx, "tcp", lb)
		},
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true, VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if got := colonFP(raw[0]); got != fp {
				return fmt.Errorf("certificate fingerprint %s does not match pinned %s", got, fp)
			}
			return nil
		}},
	}}
}

func colonFP(der []byte) string {
	sum := sha256.Sum256(der)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

func (w *world) apiURL(host string) string {
	return "https://" + w.hosts[host].PublicIP + ":8006/api2/json"
}

// client is a Telmate client logged in as root@pam on host.
func (w *world) client(host string) *pxapi.Client {
	w.t.Helper()
	c := w.anonClient(host, "")
	if err := c.Login(context.Background(), "root@pam", w.hosts[host].RootPassword, ""); err != nil {
		w.t.Fatalf("login on %s: %v", host, err)
	}
	return c
}

func (w *world) anonClient(host, fp string) *pxapi.Client {
	w.t.Helper()
	c, err := pxapi.NewClient(w.apiURL(host), w.httpClient(host, fp), "", nil, "", 300, false)
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// tokenClient authenticates with an API token instead of a ticket.
func (w *world) tokenClient(host, fullID, secret string) *pxapi.Client {
	w.t.Helper()
	c := w.anonClient(host, "")
	var id pxapi.ApiTokenID
	if err := id.Parse(fullID); err != nil {
		w.t.Fatal(err)
	}
	c.SetAPIToken(id, pxapi.ApiTokenSecret(secret))
	return c
}

// ssh runs a command over SSH as root with the world's key.
func (w *world) ssh(host, cmd string) (stdout, stderr string, status int) {
	w.t.Helper()
	cli, err := w.dialSSH(host, "root", w.key)
	if err != nil {
		w.t.Fatalf("ssh %s: %v", host, err)
	}
	defer cli.Close()
	sess, err := cli.NewSession()
	if err != nil {
		w.t.Fatal(err)
	}
	defer sess.Close()
	var out, errb bytes.Buffer
	sess.Stdout, sess.Stderr = &out, &errb
	err = sess.Run(cmd)
	var exit *ssh.ExitError
	switch {
	case errors.As(err, &exit):
		status = exit.ExitStatus()
	case err != nil:
		w.t.Fatalf("ssh %s %q: %v", host, cmd, err)
	}
	return out.String(), errb.String(), status
}

func (w *world) dialSSH(host, user string, key ssh.Signer) (*ssh.Client, error) {
	addr := w.hosts[host].PublicIP + ":22"
	lb, ok := w.env.Net.Lookup(addr)
	if !ok {
		return nil, fmt.Errorf("no SSH endpoint at %s", addr)
	}
	conn, err := net.DialTimeout("tcp", lb, 5*time.Second)
	if err != nil {
		return nil, err
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, &ssh.ClientConfig{
		User: user, Auth: []ssh.AuthMethod{ssh.PublicKeys(key)}, HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second,
	})
	if err != nil {
		return nil, err
	}
	return ssh.NewClient(c, chans, reqs), nil
}

// mustSSH runs a command that must succeed.
func (w *world) mustSSH(host, cmd string) string {
	w.t.Helper()
	out, errOut, status := w.ssh(host, cmd)
	if status != 0 {
		w.t.Fatalf("ssh %s %q: exit %d: %s%s", host, cmd, status, out, errOut)
	}
	return out
}

// post sends a POST through Telmate and returns the UPID (or the error).
func post(c *pxapi.Client, path string, params map[string]any) (string, error) {
	body, err := c.CreateItemReturnStatus(context.Background(), params, path)
	if err != nil {
		return "", err
	}
	var env struct{ Data any }
	if err := json.Unmarshal([]byte(body), &env); err != nil {
		return "", err
	}
	s, _ := env.Data.(string)
	return s, nil
}

// wait polls a task through Telmate until it stops; it returns exitstatus.
func (w *world) wait(c *pxapi.Client, upid string) string {
	w.t.Helper()
	node := strings.Split(upid, ":")[1]
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		st, err := c.GetItemConfigMapStringInterface(context.Background(), "/nodes/"+node+"/tasks/"+upid+"/status", "task", "status")
		if err != nil {
			w.t.Fatalf("task %s: %v", upid, err)
		}
		if st["status"] == "stopped" {
			return st["exitstatus"].(string)
		}
		time.Sleep(10 * time.Millisecond)
	}
	w.t.Fatalf("task %s did not stop", upid)
	return ""
}

// mustTask posts and waits for OK.
func (w *world) mustTask(c *pxapi.Client, path string, params map[string]any) {
	w.t.Helper()
	upid, err := post(c, path, params)
	if err != nil {
		w.t.Fatalf("POST %s: %v", path, err)
	}
	if upid == "" {
		return
	}
	if st := w.wait(c, upid); st != "OK" {
		w.t.Fatalf("POST %s: task %s ended %q", path, upid, st)
	}
}

func apiErr(err error) *pxapi.ApiError {
	var ae *pxapi.ApiError
	if errors.As(err, &ae) {
		return ae
	}
	return nil
}
