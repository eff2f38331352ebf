package talos

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"
)

// kubeSend is one write through the simulated API server.
func kubeSend(t *testing.T, c *http.Client, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestRestoreBringsBackTheSnapshot: config map A is written through the
// Kubernetes API, etcd is snapshotted with the machinery client, B is
// written after; etcd is lost (reset of EPHEMERAL) and recovered from the
// snapshot. Read through the API, A is back and B is gone: the API
// server's objects live in the cluster's etcd.
func TestRestoreBringsBackTheSnapshot(t *testing.T) {
	noLeaks(t)
	h, c := singleControlPlane(t)
	ctx := testCtx(t)
	kubeconfig, err := c.Kubeconfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kc, server := kubeClient(t, h, kubeconfig)
	cms := server + "/api/v1/namespaces/default/configmaps"
	if err := await(ctx, "API server ready", func() bool { code, _ := kubeGet(t, kc, server+"/readyz"); return code == 200 }); err != nil {
		t.Fatal(err)
	}
	create := func(name string) {
		t.Helper()
		if code, out := kubeSend(t, kc, "POST", cms, `{"metadata":{"name":"`+name+`"},"data":{"k":"`+name+`"}}`); code != 201 {
			t.Fatalf("create %s = %d %s", name, code, out)
		}
	}
	create("a")
	_, node := kubeGet(t, kc, server+"/api/v1/nodes/cp-1")
	before := resourceVersion(t, node)
	rc, err := c.EtcdSnapshot(ctx, &machine.EtcdSnapshotRequest{})
	if err != nil {
		t.Fatal(err)
	}
	snapshot, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	create("b")
	if code, _ := kubeGet(t, kc, cms+"/b"); code != 200 {
		t.Fatalf("b is not there before the reset: %d", code)
	}
	// a is deleted after the snapshot: the restore must bring it back.
	if code, out := kubeSend(t, kc, "DELETE", cms+"/a", ""); code != 200 {
		t.Fatalf("delete a = %d %s", code, out)
	}
	if code, _ := kubeGet(t, kc, cms+"/a"); code != 404 {
		t.Fatalf("a is still there after its delete: %d", code)
	}
	if _, err := c.MachineClient.Reset(ctx, &machine.ResetRequest{Reboot: true,
		SystemPartitionsToWipe: []*machine.ResetPartitionSpec{{Label: "EPHEMERAL", Wipe: true}}}); err != nil {
		t.Fatal(err)
	}
	err = await(ctx, "etcd wiped and node back", func() bool {
		return h.ns.byIP("10.20.0.11").Mode() == ModeConfigured && len(h.ns.State().EtcdMembers) == 0
	})
	if err != nil {
		t.Fatal(err)
	}
	if code, out := kubeGet(t, kc, cms+"/a"); code != 500 || !strings.Contains(out, "etcdserver") {
		t.Errorf("get of a without etcd = %d %s", code, out)
	}
	recoverFrom(t, h, c, snapshot)
	err = await(ctx, "API server ready after recovery", func() bool { code, _ := kubeGet(t, kc, server+"/readyz"); return code == 200 })
	if err != nil {
		t.Fatal(err)
	}
	if code, out := kubeGet(t, kc, cms+"/a"); code != 200 || !strings.Contains(out, `"k":"a"`) {
		t.Errorf("a after recovery = %d %s", code, out)
	}
	if code, out := kubeGet(t, kc, cms+"/b"); code != 404 {
		t.Errorf("b after recovery = %d %s, want 404", code, out)
	}
	if _, out := kubeGet(t, kc, cms); strings.Contains(out, `"name":"b"`) || !strings.Contains(out, `"name":"a"`) {
		t.Errorf("list after recovery = %s", out)
	}
	// The node is written again at the restored etcd's revisions, and a
	// watch from a resourceVersion of before is told to list again.
	_, node = kubeGet(t, kc, server+"/api/v1/nodes/cp-1")
	n := h.ns.byIP("10.20.0.11")
	n.mu.Lock()
	m := n.member
	n.mu.Unlock()
	kv, err := m.cli.Get(ctx, "/registry/minions/cp-1")
	if err != nil || len(kv.Kvs) != 1 || resourceVersion(t, node) != kv.Kvs[0].ModRevision {
		t.Errorf("node after recovery at %d, etcd holds %v (%v)", resourceVersion(t, node), kv, err)
	}
	_, out := kubeGet(t, kc, server+"/api/v1/nodes?watch=true&timeoutSeconds=2&resourceVersion="+strconv.FormatInt(before, 10))
	if !strings.Contains(out, `"type":"ERROR"`) || !strings.Contains(out, `"code":410`) {
		t.Errorf("watch from before the restore = %s", out)
	}
}

func resourceVersion(t *testing.T, body string) int64 {
	t.Helper()
	var m struct {
		Metadata struct{ ResourceVersion string } `json:"metadata"`
	}
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	rv, _ := strconv.ParseInt(m.Metadata.ResourceVersion, 10, 64)
	return rv
}
