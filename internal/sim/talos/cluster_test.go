package talos

import (
	"strings"
	"testing"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/client"
	"github.com/siderolabs/talos/pkg/machinery/config/container"
	mtype "github.com/siderolabs/talos/pkg/machinery/config/machine"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

type testNode struct {
	name, ip, zone string
	typ            mtype.Type
}

var lab = []testNode{
	{"cp-1", "10.20.0.11", "fr-par-1", mtype.TypeControlPlane},
	{"cp-2", "10.20.0.12", "fr-par-2", mtype.TypeControlPlane},
	{"cp-3", "10.20.0.13", "nl-ams-1", mtype.TypeControlPlane},
	{"w-1", "10.20.0.21", "fr-par-1", mtype.TypeWorker},
	{"w-2", "10.20.0.22", "fr-par-2", mtype.TypeWorker},
}

func code(err error) codes.Code { return client.StatusCode(err) }

// TestLabCluster drives three control planes and two workers from boot to a
// healthy cluster and through the failures an operator rehearses, with the
// real machinery client only. One etcd cluster is shared by the subtests,
// which run in order.
func TestLabCluster(t *testing.T) {
	noLeaks(t)
	h := newHarness(t, simcore.Instant, 1, []string{"10.20.0.11", "10.20.0.12", "10.20.0.13"})
	for i, n := range lab {
		h.ns.Boot(vm(100+i, n.name, n.ip, n.zone))
	}
	for _, n := range lab {
		if err := h.ns.AwaitMode(testCtx(t), n.ip, ModeMaintenance); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name string
		f    func(*testing.T, *harness)
	}{
		{"maintenance", testMaintenance},
		{"invalid config", testInvalidConfig},
		{"apply", testApply},
		{"bootstrap", testBootstrap},
		{"member list", testMemberList},
		{"etcd operations", testEtcdOperations},
		{"roles", testRoles},
		{"nodes metadata", testNodesMetadata},
		{"snapshot", testSnapshot},
		{"kubernetes", testKubernetes},
		{"quorum loss", testQuorumLoss},
		{"reapply", testReapply},
		{"unmodelled", testUnmodelled},
		{"reset and rejoin", testResetRejoin},
		{"save and load", testSaveLoad},
	}
	for _, s := range steps {
		if !t.Run(s.name, func(t *testing.T) { s.f(t, h) }) {
			t.FailNow()
		}
	}
	for _, e := range h.env.Log.Errors() {
		if e.Kind != "unmodelled" {
			t.Logf("recorded: %s %s %s", e.API, e.Kind, e.Detail)
		}
	}
}

func testMaintenance(t *testing.T, h *harness) {
	c := h.insecure("10.20.0.11")
	ctx := testCtx(t)
	v, err := c.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m := v.Messages[0]
	if m.Features != nil || m.Platform.GetName() != "nocloud" || m.Platform.GetMode() != "cloud" || m.Version.GetTag() != "v1.13.9" || m.Metadata != nil {
		t.Fatalf("maintenance Version = %v", m)
	}
	if err := c.Bootstrap(ctx, &machine.BootstrapRequest{}); code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "not authorized") {
		t.Fatalf("Bootstrap in maintenance: %v", err)
	}
	if _, err := c.Kubeconfig(ctx); code(err) != codes.PermissionDenied {
		t.Fatalf("Kubeconfig in maintenance: %v", err)
	}
	if _, err := c.EtcdMemberList(ctx, &machine.EtcdMemberListRequest{}); code(err) != codes.Unimplemented {
		t.Fatalf("EtcdMemberList in maintenance: %v", err)
	}
	// No node routing in maintenance: the call is answered locally.
	hn, err := c.MachineClient.Hostname(client.WithNode(ctx, "10.20.0.12"), &emptypb.Empty{})
	if err != nil || hn.Messages[0].Hostname != "cp-1" || hn.Messages[0].Metadata != nil {
		t.Fatalf("Hostname with node metadata in maintenance = %v, %v", hn, err)
	}
	mem, err := c.Memory(ctx)
	if err != nil || mem.Messages[0].Meminfo.Memtotal < 7<<20 {
		t.Fatalf("Memory = %v, %v", mem, err)
	}
	disks, err := c.Disks(ctx)
	if err != nil || disks.Messages[0].Disks[0].Size != 100<<30 {
		t.Fatalf("Disks = %v, %v", disks, err)
	}
}

func testInvalidConfig(t *testing.T, h *harness) {
	c := h.insecure("10.20.0.11")
	ctx := testCtx(t)
	_, err := c.ApplyConfiguration(ctx, &machine.ApplyConfigurationRequest{Data: []byte("version: v1alpha1\nmachine: [")})
	if code(err) != codes.InvalidArgument {
		t.Fatalf("unparsable config: %v", err)
	}
	_, err = c.ApplyConfiguration(ctx, &machine.ApplyConfigurationRequest{Data: []byte(removeInstall(t, h))})
	if code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), `install instructions are required in "metal" mode`) {
		t.Fatalf("config without install: %v", err)
	}
	if h.ns.byIP("10.20.0.11").Mode() != ModeMaintenance {
		t.Fatal("a refused config changed the node")
	}
}

func testApply(t *testing.T, h *harness) {
	for _, n := range lab {
		c := h.insecure(n.ip)
		resp, err := c.ApplyConfiguration(testCtx(t), &machine.ApplyConfigurationRequest{Data: h.config(n.typ, n.name, n.ip, n.zone)})
		if err != nil {
			t.Fatalf("apply to %s: %v", n.name, err)
		}
		if m := resp.Messages[0]; m.Mode != machine.ApplyConfigurationRequest_NO_REBOOT || m.ModeDetails != "Applied configuration without a reboot" {
			t.Fatalf("apply reply = %v", m)
		}
	}
	for _, n := range lab {
		if err := h.ns.AwaitMode(testCtx(t), n.ip, ModeConfigured); err != nil {
			t.Fatal(err)
		}
	}
	ctx := testCtx(t)
	v, err := h.secure("10.20.0.21").Version(ctx)
	if err != nil || v.Messages[0].Features == nil || !v.Messages[0].Features.Rbac {
		t.Fatalf("mTLS Version on a worker = %v, %v", v, err)
	}
	if _, err := h.insecure("10.20.0.11").Version(ctx); code(err) != codes.Unavailable {
		t.Fatalf("insecure Version after install: %v", err)
	}
}

func testBootstrap(t *testing.T, h *harness) {
	ctx := testCtx(t)
	if err := h.secure("10.20.0.21").Bootstrap(ctx, &machine.BootstrapRequest{}); code(err) != codes.Unimplemented ||
		!strings.Contains(err.Error(), "bootstrap is only available on control plane nodes") {
		t.Fatalf("Bootstrap on a worker: %v", err)
	}
	cp1 := h.secure("10.20.0.11")
	if err := cp1.Bootstrap(ctx, &machine.BootstrapRequest{}); err != nil {
		t.Fatalf("Bootstrap: %v", err)
	}
	for _, ip := range []string{"10.20.0.11", "10.20.0.12"} {
		err := h.secure(ip).Bootstrap(ctx, &machine.BootstrapRequest{})
		if code(err) != codes.AlreadyExists || !strings.Contains(err.Error(), "etcd data directory is not empty") {
			t.Fatalf("second Bootstrap on %s: %v", ip, err)
		}
	}
	if err := h.ns.AwaitEtcdMembers(testCtx(t), 3); err != nil {
		t.Fatalf("%v; state %+v", err, h.ns.State().EtcdMembers)
	}
}

func testMemberList(t *testing.T, h *harness) {
	resp, err := h.secure("10.20.0.13").EtcdMemberList(testCtx(t), &machine.EtcdMemberListRequest{})
	if err != nil {
		t.Fatalf("%v; state %+v", err, h.ns.State().EtcdMembers)
	}
	got := map[string]string{}
	for _, m := range resp.Messages[0].Members {
		got[m.Hostname] = strings.Join(m.PeerUrls, ",")
		if m.IsLearner || m.Id == 0 {
			t.Fatalf("member %v", m)
		}
	}
	want := map[string]string{"cp-1": "https://10.20.0.11:2380", "cp-2": "https://10.20.0.12:2380", "cp-3": "https://10.20.0.13:2380"}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("members = %v, want %v", got, want)
		}
	}
}

func testNodesMetadata(t *testing.T, h *harness) {
	c := h.secure("10.20.0.11")
	ctx := testCtx(t)
	all := []string{"10.20.0.11", "10.20.0.12", "10.20.0.13", "10.20.0.21", "10.20.0.22"}
	v, err := c.Version(client.WithNodes(ctx, all...))
	if err != nil || len(v.Messages) != 5 {
		t.Fatalf("Version to all = %v, %v", v, err)
	}
	for i, m := range v.Messages {
		if m.Metadata.GetHostname() != all[i] {
			t.Fatalf("message %d hostname %q, want %q", i, m.Metadata.GetHostname(), all[i])
		}
	}
	sl, err := c.ServiceList(client.WithNodes(ctx, all[:3]...))
	if err != nil || len(sl.Messages) != 3 {
		t.Fatalf("ServiceList = %v, %v", sl, err)
	}
	for _, m := range sl.Messages {
		for _, s := range m.Services {
			if s.Id == "etcd" && (s.State != "Running" || !s.Health.Healthy) {
				t.Fatalf("etcd on %s: %v", m.Metadata.Hostname, s)
			}
		}
	}

	h.ns.PowerOff("10.20.0.22/24")
	raw, err := c.MachineClient.Version(client.WithNodes(ctx, all...), &emptypb.Empty{})
	if err != nil || len(raw.Messages) != 5 {
		t.Fatalf("raw Version with a node off = %v, %v", raw, err)
	}
	off := raw.Messages[4].Metadata
	if off.Hostname != "10.20.0.22" || off.Error == "" || codes.Code(off.Status.GetCode()) != codes.Unavailable {
		t.Fatalf("metadata of the node that is off = %v", off)
	}
	filtered, err := c.Version(client.WithNodes(ctx, all...))
	if err == nil || !strings.Contains(err.Error(), "10.20.0.22") || len(filtered.Messages) != 4 {
		t.Fatalf("filtered Version = %v, %v", filtered, err)
	}
	if _, err := c.Version(client.WithNode(ctx, "10.20.0.22")); code(err) != codes.Unavailable {
		t.Fatalf("one-to-one to a node that is off: %v", err)
	}
	m, err := c.EtcdMemberList(client.WithNode(ctx, "10.20.0.12"), &machine.EtcdMemberListRequest{})
	if err != nil || len(m.Messages[0].Members) != 3 || m.Messages[0].Metadata != nil {
		t.Fatalf("one-to-one member list = %v, %v", m, err)
	}
	h.ns.PowerOn("10.20.0.22")
	if err := h.ns.AwaitMode(ctx, "10.20.0.22", ModeConfigured); err != nil {
		t.Fatal(err)
	}
}

func removeInstall(t *testing.T, h *harness) string {
	cfg, err := h.input.Config(mtype.TypeControlPlane)
	if err != nil {
		t.Fatal(err)
	}
	raw := cfg.RawV1Alpha1().DeepCopy()
	raw.MachineConfig.MachineInstall = nil
	b, err := container.NewV1Alpha1(raw).EncodeBytes()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
