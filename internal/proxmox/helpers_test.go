package proxmox

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/tripod-dev/tripod/internal/retry"
	simpve "github.com/tripod-dev/tripod/internal/sim/proxmox"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// simDialer maps simulated addresses onto the simulator's loopback
// listeners, as netx does in simulation.
type simDialer struct{ env *simcore.Env }

func (d simDialer) DialContext(ctx context.Context, _, addr string) (net.Conn, error) {
	lb, ok := d.env.Net.Lookup(addr)
	if !ok {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	}
	return (&net.Dialer{}).DialContext(ctx, "tcp", lb)
}

func (d simDialer) HTTPClient(tlsConf *tls.Config, timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{DialContext: d.DialContext, TLSClientConfig: tlsConf}}
}

// fleet is a simulated set of Proxmox VE hosts and the Config to reach them.
type fleet struct {
	t     *testing.T
	env   *simcore.Env
	sim   *simpve.Cluster
	cfg   Config
	hosts map[string]simcore.HostInfo
	key   ssh.Signer
}

func newFleet(t *testing.T) *fleet {
	t.Helper()
	env := simcore.NewEnv(simcore.Instant, 1, 7)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	key, _ := ssh.NewSignerFromKey(priv)
	f := &fleet{t: t, env: env, sim: simpve.New(env), hosts: map[string]simcore.HostInfo{}, key: key,
		cfg: Config{Dialer: simDialer{env}, Timing: retry.Scaled(0.001), Retries: &retry.Counter{}, Pins: FilePins{Dir: t.TempDir()}}}
	t.Cleanup(func() { f.sim.Close(); env.Net.CloseAll() })
	return f
}

// add installs a host; withSSH false is an Elastic Metal host.
func (f *fleet) add(name, placement, ip string, withSSH bool) Endpoint {
	f.t.Helper()
	h := simcore.HostInfo{
		ServerID: "srv-" + name, Provider: "dedibox", Placement: placement, Hostname: name, PublicIP: ip,
		RootPassword: "pw-" + name, SSHKeys: []string{string(ssh.MarshalAuthorizedKey(f.key.PublicKey()))}, SSHEnabled: withSSH,
		Threads: 16, MemoryBytes: 64 << 30, InstalledAt: f.env.Now().Add(-time.Hour),
		Disks: []simcore.Disk{{Device: "/dev/nvme0n1", Bytes: 960 << 30, Type: "nvme"}, {Device: "/dev/nvme1n1", Bytes: 1920 << 30, Type: "nvme"}},
	}
	if !withSSH {
		h.Provider = "elastic-metal"
	}
	if err := f.sim.AddHost(h); err != nil {
		f.t.Fatal(err)
	}
	f.hosts[name] = h
	return Endpoint{Node: name, Address: ip}
}

// root pins the host (trust on first use) and logs in as root@pam.
func (f *fleet) root(ep Endpoint) *Client {
	f.t.Helper()
	ctx := context.Background()
	fp, err := Probe(ctx, f.cfg.Dialer, ep)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.cfg.Pins.SetPin(ep.Node, fp); err != nil {
		f.t.Fatal(err)
	}
	c, err := NewClient(f.cfg, ep)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := c.Login(ctx, f.hosts[ep.Node].RootPassword); err != nil {
		f.t.Fatal(err)
	}
	return c
}

// shells runs commands on the fleet's hosts with its SSH key where they
// have SSH.
func (f *fleet) shells() *Shells {
	return &Shells{Config: f.cfg, Access: func(ctx context.Context, host string) (HostAccess, error) {
		h := f.hosts[host]
		acc := HostAccess{Endpoint: Endpoint{Node: host, Address: h.PublicIP}}
		if h.SSHEnabled {
			acc.SSHKey = f.key
		}
		acc.Root = func(ctx context.Context) (*Client, error) { return f.root(acc.Endpoint), nil }
		return acc, nil
	}}
}
