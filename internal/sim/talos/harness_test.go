package talos

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/client"
	clientconfig "github.com/siderolabs/talos/pkg/machinery/client/config"
	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/configpatcher"
	"github.com/siderolabs/talos/pkg/machinery/config/generate"
	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"
	"github.com/siderolabs/talos/pkg/machinery/config/machine"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	"google.golang.org/grpc"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

const endpoint = "k8s.lab.internal:6443"

// harness is one simulated world with a generated cluster's secrets, and
// the real machinery clients pointed at it through the address map.
type harness struct {
	t     *testing.T
	env   *simcore.Env
	dir   string
	ns    *Nodes
	input *generate.Input
	tc    *clientconfig.Config

	mu      sync.Mutex
	offByOS []string // OnPowerOff calls
}

func newHarness(t *testing.T, p simcore.Profile, scale float64, cpIPs []string) *harness {
	t.Helper()
	bundle, err := secrets.NewBundle(secrets.NewFixedClock(time.Now()), config.TalosVersionCurrent)
	if err != nil {
		t.Fatal(err)
	}
	in, err := generate.NewInput("lab", "https://"+endpoint, constants.DefaultKubernetesVersion,
		generate.WithSecretsBundle(bundle), generate.WithInstallDisk("/dev/sda"), generate.WithEndpointList(cpIPs))
	if err != nil {
		t.Fatal(err)
	}
	tc, err := in.Talosconfig()
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, env: simcore.NewEnv(p, scale, 42), dir: t.TempDir(), input: in, tc: tc}
	h.env.SetGateways(natGateway)
	h.ns = h.newNodes()
	return h
}

// natGateway stands in for the Proxmox hosts (this package runs without
// them): a VM's gateway, the first address of its /24 (vm), is a host that
// forwards and masquerades that /24 out of vmbr0, as tripod's hook
// configures it.
func natGateway(address string) (simcore.GatewayHost, bool) {
	a, err := netip.ParseAddr(address)
	if err != nil || !strings.HasSuffix(address, ".1") {
		return simcore.GatewayHost{}, false
	}
	subnet := netip.PrefixFrom(a, 24).Masked()
	return simcore.GatewayHost{Host: "pve-nat", Forwarding: true, Uplink: "vmbr0",
		Masquerade: []simcore.MasqueradeRule{{Source: subnet, Dest: subnet, NotDest: true, Out: "vmbr0"}}}, true
}

func (h *harness) newNodes() *Nodes {
	ns := New(h.env, h.dir)
	// Generous: an etcd call that should succeed may be slow on a loaded
	// machine; the calls expected to hang (no quorum) are bounded by the
	// test's probeCtx instead.
	ns.EtcdTimeout = 30 * time.Second
	ns.Tick = 5 * time.Millisecond
	ns.OnPowerOff = func(ipCIDR string) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.offByOS = append(h.offByOS, ipCIDR)
	}
	h.t.Cleanup(ns.Close)
	return ns
}

func vm(id int, name, ip, placement string) simcore.VMInfo {
	return simcore.VMInfo{VMID: id, Name: name, Node: "pve-" + placement, Placement: placement, Cores: 4,
		MemoryMiB: 8192, DiskBytes: 100 << 30, IPCIDR: ip + "/24", Gateway: ip[:strings.LastIndex(ip, ".")] + ".1", BootISO: "local:iso/talos-nocloud.iso"}
}

// dial maps a simulated address to its loopback listener, as the tool's one
// dialer does, and refuses anything else.
func (h *harness) dial(ctx context.Context, addr string) (net.Conn, error) {
	lo, ok := h.env.Net.Lookup(addr)
	if !ok {
		return nil, fmt.Errorf("dial tcp %s: connect: connection refused", addr)
	}
	return (&net.Dialer{}).DialContext(ctx, "tcp", lo)
}

// insecure is talosctl's maintenance client: --insecure.
func (h *harness) insecure(ip string) *client.Client {
	h.t.Helper()
	c, err := client.New(context.Background(), client.WithTLSConfig(&tls.Config{InsecureSkipVerify: true}),
		client.WithEndpoints(ip), client.WithGRPCDialOptions(grpc.WithContextDialer(h.dial)))
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { c.Close() })
	return c
}

// secure is the client a generated talosconfig gives.
func (h *harness) secure(ip string) *client.Client {
	h.t.Helper()
	c, err := client.New(context.Background(), client.WithConfig(h.tc), client.WithEndpoints(ip),
		client.WithGRPCDialOptions(grpc.WithContextDialer(h.dial)))
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { c.Close() })
	return c
}

// config generates a node's machine config with the per-node patch: its
// hostname, static address and zone label.
func (h *harness) config(typ machine.Type, hostname, ip, zone string) []byte {
	h.t.Helper()
	cfg, err := h.input.Config(typ)
	if err != nil {
		h.t.Fatal(err)
	}
	patch := fmt.Sprintf(`machine:
  nodeLabels:
    topology.kubernetes.io/zone: %s
---
apiVersion: v1alpha1
kind: HostnameConfig
hostname: %s
auto: off
---
apiVersion: v1alpha1
kind: LinkConfig
name: eth0
addresses:
  - address: %s/24
`, zone, hostname, ip)
	patches, err := configpatcher.LoadPatches([]string{patch})
	if err != nil {
		h.t.Fatal(err)
	}
	out, err := configpatcher.Apply(configpatcher.WithConfig(cfg), patches)
	if err != nil {
		h.t.Fatal(err)
	}
	b, err := out.Bytes()
	if err != nil {
		h.t.Fatal(err)
	}
	return b
}

// testCtx ends with the test binary's own deadline (go test -timeout), less
// a margin to report a clean failure: the tests wait on conditions (a mode,
// an etcd member count), and a loaded machine (a load average of 18 on 2
// cores) must make them slower, never make them fail. Without a deadline it
// allows ten minutes.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithDeadline(context.Background(), waitDeadline(t))
	t.Cleanup(cancel)
	return ctx
}

// waitDeadline is when a test's waits give up: the test's deadline less a
// twentieth of what is left of it (at most a minute), or ten minutes.
func waitDeadline(t *testing.T) time.Time {
	dl, ok := t.Deadline()
	if !ok {
		return time.Now().Add(10 * time.Minute)
	}
	return dl.Add(-min(time.Until(dl)/20, time.Minute))
}

// probeCtx bounds one call whose expected outcome is a failure by timeout
// (etcd without quorum hangs until its deadline): it only decides how
// quickly the test learns the failure it waits for, never whether a call
// that should succeed does.
func probeCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}
