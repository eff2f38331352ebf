package talos

import (
	"crypto/sha256"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/client"
	mtype "github.com/siderolabs/talos/pkg/machinery/config/machine"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// putKey writes a key through a control plane's etcd, as the API server
// would store an object.
func putKey(t *testing.T, h *harness, ip, key, value string) {
	t.Helper()
	n := h.ns.byIP(ip)
	n.mu.Lock()
	m := n.member
	n.mu.Unlock()
	ctx := testCtx(t)
	if _, err := m.cli.Put(ctx, key, value); err != nil {
		t.Fatal(err)
	}
}

func getKey(t *testing.T, h *harness, ip, key string) string {
	t.Helper()
	n := h.ns.byIP(ip)
	n.mu.Lock()
	m := n.member
	n.mu.Unlock()
	if m == nil {
		t.Fatalf("no etcd on %s", ip)
	}
	resp, err := m.cli.Get(testCtx(t), key)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) == 0 {
		return ""
	}
	return string(resp.Kvs[0].Value)
}

func testSnapshot(t *testing.T, h *harness) {
	putKey(t, h, "10.20.0.11", "/registry/drill", "before")
	rc, err := h.secure("10.20.0.12").EtcdSnapshot(testCtx(t), &machine.EtcdSnapshotRequest{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(data)%512 != sha256.Size {
		t.Fatalf("snapshot of %d bytes has no hash trailer", len(data))
	}
	db := data[:len(data)-sha256.Size]
	if sum := sha256.Sum256(db); string(sum[:]) != string(data[len(db):]) {
		t.Fatal("snapshot hash does not match")
	}
	kvs, err := latestKeys(t.TempDir()+"/snap.db", db)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, kv := range kvs {
		found = found || (string(kv.Key) == "/registry/drill" && string(kv.Value) == "before")
	}
	if !found {
		t.Fatalf("snapshot lacks the key written before it (%d keys)", len(kvs))
	}
}

func testQuorumLoss(t *testing.T, h *harness) {
	kubeconfig, err := h.secure("10.20.0.11").Kubeconfig(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	kc, server := kubeClient(t, h, kubeconfig)
	cms := server + "/api/v1/namespaces/default/configmaps"
	if code, out := kubeSend(t, kc, "POST", cms, `{"metadata":{"name":"before"},"data":{"k":"v"}}`); code != 201 {
		t.Fatalf("create with quorum = %d %s", code, out)
	}
	h.ns.PowerOff("10.20.0.12/24")
	h.env.Faults.SetDark("nl-ams-1", true) // cp-3's datacenter
	cp1 := h.secure("10.20.0.11")
	start := time.Now()
	// The dark datacenter's etcd member stops on the nodes' next tick, not
	// inside SetDark: until then the cluster still has quorum. Ask until it
	// is lost (and fail if it never is, by the test's own deadline).
	giveUp := waitDeadline(t)
	for {
		_, err = cp1.EtcdMemberList(probeCtx(t), &machine.EtcdMemberListRequest{})
		if err != nil || time.Now().After(giveUp) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err == nil {
		t.Fatalf("member list still answers %v after quorum was lost", time.Since(start).Round(time.Second))
	}
	if c := code(err); c != codes.DeadlineExceeded && c != codes.Unavailable && c != codes.Unknown {
		t.Fatalf("member list without quorum: %v", err)
	}
	t.Logf("without quorum after %v: %v", time.Since(start).Round(time.Millisecond), err)
	if code, body := kubeGet(t, kc, server+"/readyz"); code != 500 || !strings.Contains(body, "[-]etcd failed: reason withheld") {
		t.Fatalf("/readyz without quorum = %d %s", code, body)
	}
	// Writes and linearizable reads fail as kube-apiserver passes etcd's
	// error on: 500, etcd's message, no reason (kubectl: "Error from
	// server: etcdserver: request timed out").
	const timedOut = `"message":"etcdserver: request timed out"`
	if code, out := kubeSend(t, kc, "POST", cms, `{"metadata":{"name":"during"}}`); code != 500 || !strings.Contains(out, timedOut) || strings.Contains(out, `"reason"`) {
		t.Errorf("create without quorum = %d %s", code, out)
	}
	for _, path := range []string{"/before", ""} {
		if code, out := kubeGet(t, kc, cms+path); code != 500 || !strings.Contains(out, timedOut) {
			t.Errorf("GET configmaps%s without quorum = %d %s", path, code, out)
		}
	}
	if code, out := kubeGet(t, kc, server+"/api/v1/nodes"); code != 500 || !strings.Contains(out, timedOut) {
		t.Errorf("GET nodes without quorum = %d %s", code, out)
	}
	h.ns.PowerOn("10.20.0.12")
	h.env.Faults.SetDark("nl-ams-1", false)
	if err := h.ns.AwaitEtcdMembers(testCtx(t), 3); err != nil {
		t.Fatal(err)
	}
	if _, err := cp1.EtcdMemberList(testCtx(t), &machine.EtcdMemberListRequest{}); err != nil {
		t.Fatal(err)
	}
	if code, _ := kubeGet(t, kc, server+"/readyz"); code != 200 {
		t.Fatalf("/readyz after recovery = %d", code)
	}
	if code, out := kubeGet(t, kc, cms+"/before"); code != 200 {
		t.Errorf("config map after quorum returned = %d %s", code, out)
	}
	if code, out := kubeGet(t, kc, cms+"/during"); code != 404 {
		t.Errorf("the create refused without quorum = %d %s", code, out)
	}
	if code, out := kubeSend(t, kc, "POST", cms, `{"metadata":{"name":"after"}}`); code != 201 {
		t.Errorf("create after quorum returned = %d %s", code, out)
	}
}

func testReapply(t *testing.T, h *harness) {
	cp2, ctx := h.secure("10.20.0.12"), testCtx(t)
	cfg := h.config(mtype.TypeControlPlane, "cp-2", "10.20.0.12", "fr-par-2")
	apply := func(data []byte, mode machine.ApplyConfigurationRequest_Mode, dry bool) *machine.ApplyConfiguration {
		t.Helper()
		resp, err := cp2.ApplyConfiguration(ctx, &machine.ApplyConfigurationRequest{Data: data, Mode: mode, DryRun: dry})
		if err != nil {
			t.Fatalf("apply %v: %v", mode, err)
		}
		return resp.Messages[0]
	}
	if m := apply(cfg, machine.ApplyConfigurationRequest_NO_REBOOT, false); m.Mode != machine.ApplyConfigurationRequest_NO_REBOOT {
		t.Fatalf("same config again = %v", m)
	}
	if m := apply(cfg, machine.ApplyConfigurationRequest_AUTO, true); !strings.HasSuffix(m.ModeDetails, "Config diff:\n\nNo changes.") {
		t.Fatalf("dry run of the same config = %q", m.ModeDetails)
	}
	relabelled := h.config(mtype.TypeControlPlane, "cp-2", "10.20.0.12", "fr-par-9")
	m := apply(relabelled, machine.ApplyConfigurationRequest_AUTO, true)
	if m.Mode != machine.ApplyConfigurationRequest_NO_REBOOT || !strings.Contains(m.ModeDetails, "+        topology.kubernetes.io/zone: fr-par-9") {
		t.Fatalf("dry run of a label change = %v", m)
	}
	zone := func() string {
		n := h.ns.byIP("10.20.0.12")
		n.mu.Lock()
		defer n.mu.Unlock()
		return n.f.labels["topology.kubernetes.io/zone"]
	}
	if zone() != "fr-par-2" {
		t.Fatalf("a dry run changed the node: zone %s", zone())
	}
	testStagedAndTry(t, h, relabelled, zone)
	withEnv := []byte(strings.Replace(string(cfg), "\nmachine:\n", "\nmachine:\n    env:\n        HTTP_PROXY: http://proxy:3128\n", 1))
	if _, err := cp2.ApplyConfiguration(ctx, &machine.ApplyConfigurationRequest{Data: withEnv, Mode: machine.ApplyConfigurationRequest_NO_REBOOT}); code(err) != codes.InvalidArgument ||
		!strings.Contains(err.Error(), "this config change can't be applied in immediate mode") {
		t.Fatalf("NO_REBOOT of a reboot-only change: %v", err)
	}
	if m := apply(withEnv, machine.ApplyConfigurationRequest_AUTO, false); m.Mode != machine.ApplyConfigurationRequest_REBOOT ||
		!strings.HasPrefix(m.ModeDetails, "Applied configuration with a reboot: this config change") {
		t.Fatalf("AUTO of a reboot-only change = %v", m)
	}
	if err := h.ns.AwaitMode(ctx, "10.20.0.12", ModeConfigured); err != nil {
		t.Fatal(err)
	}
	if err := h.ns.AwaitEtcdMembers(testCtx(t), 3); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mustBytes(t, h.ns.byIP("10.20.0.12"))), "HTTP_PROXY") {
		t.Fatal("the config applied with a reboot is not active after it")
	}
}

// testStagedAndTry: STAGED leaves the running config alone; TRY applies a
// change and rolls it back after its timeout.
func testStagedAndTry(t *testing.T, h *harness, relabelled []byte, zone func() string) {
	cp2, ctx := h.secure("10.20.0.12"), testCtx(t)
	resp, err := cp2.ApplyConfiguration(ctx, &machine.ApplyConfigurationRequest{Data: relabelled, Mode: machine.ApplyConfigurationRequest_STAGED})
	if err != nil || resp.Messages[0].ModeDetails != "Staged configuration to be applied after the next reboot" || zone() != "fr-par-2" {
		t.Fatalf("STAGED = %v, %v, zone %s", resp, err, zone())
	}
	resp, err = cp2.ApplyConfiguration(ctx, &machine.ApplyConfigurationRequest{Data: relabelled,
		Mode: machine.ApplyConfigurationRequest_TRY, TryModeTimeout: durationpb.New(200 * time.Millisecond)})
	if err != nil || zone() != "fr-par-9" || !strings.Contains(resp.Messages[0].ModeDetails, "'try' mode") {
		t.Fatalf("TRY = %v, %v, zone %s", resp, err, zone())
	}
	if err := await(ctx, "TRY rolled back", func() bool { return zone() == "fr-par-2" }); err != nil {
		t.Fatal(err)
	}
	// NO_REBOOT of the running config replaces the staged one.
	cfg := h.config(mtype.TypeControlPlane, "cp-2", "10.20.0.12", "fr-par-2")
	if _, err := cp2.ApplyConfiguration(ctx, &machine.ApplyConfigurationRequest{Data: cfg, Mode: machine.ApplyConfigurationRequest_NO_REBOOT}); err != nil {
		t.Fatal(err)
	}
}

func mustBytes(t *testing.T, n *node) []byte {
	n.mu.Lock()
	defer n.mu.Unlock()
	b, err := n.cfg.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testUnmodelled(t *testing.T, h *harness) {
	c, ctx := h.secure("10.20.0.11"), testCtx(t)
	before := len(h.env.Log.Errors())
	if _, err := c.MachineClient.Mounts(ctx, &emptypb.Empty{}); code(err) != codes.Unimplemented {
		t.Fatalf("Mounts: %v", err)
	}
	if _, err := c.TimeClient.Time(client.WithNode(ctx, "10.20.0.21"), &emptypb.Empty{}); code(err) != codes.Unimplemented {
		t.Fatalf("Time through the proxy: %v", err)
	}
	var got []string
	for _, e := range h.env.Log.Errors()[before:] {
		if e.Kind == "unmodelled" && e.API == simcore.APITalos {
			got = append(got, e.Detail)
		}
	}
	if strings.Join(got, ",") != "/machine.MachineService/Mounts,/time.TimeService/Time" {
		t.Fatalf("recorded unmodelled = %v", got)
	}
	if r := h.env.Log.Snapshot().APIs[simcore.APITalos].Routes["/machine.MachineService/Mounts"]; r == nil || r.Statuses["Unimplemented"] != 1 {
		t.Fatalf("request log for Mounts = %+v", r)
	}
}

// testResetRejoin resets a control plane gracefully (it leaves etcd and,
// as talosctl reset's default, powers off), then boots and configures it
// again: it joins etcd anew.
func testResetRejoin(t *testing.T, h *harness) {
	ctx := testCtx(t)
	if _, err := h.secure("10.20.0.13").MachineClient.Reset(ctx, &machine.ResetRequest{Graceful: true}); err != nil {
		t.Fatal(err)
	}
	if err := h.ns.AwaitMode(ctx, "10.20.0.13", ModeOff); err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	off := strings.Join(h.offByOS, ",")
	h.mu.Unlock()
	if off != "10.20.0.13/24" {
		t.Fatalf("OnPowerOff calls = %q", off)
	}
	resp, err := h.secure("10.20.0.11").EtcdMemberList(ctx, &machine.EtcdMemberListRequest{})
	if err != nil || len(resp.Messages[0].Members) != 2 {
		t.Fatalf("members after cp-3 left = %v, %v", resp, err)
	}
	h.ns.PowerOn("10.20.0.13/24")
	if err := h.ns.AwaitMode(ctx, "10.20.0.13", ModeMaintenance); err != nil {
		t.Fatal(err)
	}
	apply(t, h, "10.20.0.13", h.config(mtype.TypeControlPlane, "cp-3", "10.20.0.13", "nl-ams-1"))
	if err := h.ns.AwaitEtcdMembers(ctx, 3); err != nil {
		t.Fatalf("%v: %+v", err, h.ns.State().EtcdMembers)
	}
}

// testSaveLoad saves the world, closes it, loads it into a new Nodes with
// the same data directory and finds the etcd data and the cluster back.
func testSaveLoad(t *testing.T, h *harness) {
	putKey(t, h, "10.20.0.11", "/registry/persisted", "yes")
	data, err := h.ns.Save()
	if err != nil {
		t.Fatal(err)
	}
	before := h.ns.State()
	h.ns.Close()
	if len(h.env.Net.Entries()) != 0 {
		t.Fatalf("listeners left after Close: %v", h.env.Net.Entries())
	}
	h.ns = h.newNodes()
	if err := h.ns.Load(data); err != nil {
		t.Fatal(err)
	}
	if err := h.ns.AwaitEtcdMembers(testCtx(t), 3); err != nil {
		t.Fatal(err)
	}
	after := h.ns.State()
	for i, n := range before.Nodes {
		if a := after.Nodes[i]; a.Address != n.Address || a.Mode != n.Mode || a.ConfigSHA256 != n.ConfigSHA256 || a.Hostname != n.Hostname {
			t.Fatalf("node %d: before %+v, after %+v", i, n, a)
		}
	}
	for i, m := range before.EtcdMembers {
		if after.EtcdMembers[i].ID != m.ID {
			t.Fatalf("member %s has a new ID after load", m.Name)
		}
	}
	if v := getKey(t, h, "10.20.0.13", "/registry/persisted"); v != "yes" {
		t.Fatalf("key after load = %q", v)
	}
	resp, err := h.secure("10.20.0.21").EtcdMemberList(client.WithNode(testCtx(t), "10.20.0.11"), &machine.EtcdMemberListRequest{})
	if err != nil || len(resp.Messages[0].Members) != 3 {
		t.Fatalf("member list after load = %v, %v", resp, err)
	}
}
