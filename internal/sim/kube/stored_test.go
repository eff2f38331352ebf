package kube

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// storedFixture is a ready API server over a real etcd the test reads too.
func storedFixture(t *testing.T) (*fixture, *clientv3.Client) {
	t.Helper()
	f := newFixture(t, simcore.Instant, 1)
	f.healthy.Store(true)
	f.c.SetBootstrapped(f.env.Now())
	cli, _ := f.c.spec.Storage.Etcd()
	return f, cli
}

type metaRV struct {
	Metadata struct {
		ResourceVersion string `json:"resourceVersion"`
	} `json:"metadata"`
}

func rvOf(t *testing.T, body string) int64 {
	t.Helper()
	var m metaRV
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	rv, _ := strconv.ParseInt(m.Metadata.ResourceVersion, 10, 64)
	return rv
}

// TestConfigMapsLiveInEtcd: a config map written through the API is the
// key /registry/configmaps/<ns>/<name>, its resourceVersion that key's mod
// revision and a list's the read's revision; what etcd holds (written by
// anyone) is what the API serves, and a watch relays etcd's changes.
func TestConfigMapsLiveInEtcd(t *testing.T) {
	f, cli := storedFixture(t)
	c := f.client(t, "system:masters")
	ctx := context.Background()
	const path = "/api/v1/namespaces/default/configmaps"
	code, out := send(t, c, "POST", path, "application/json", `{"metadata":{"name":"app","labels":{"tier":"web"}},"data":{"k":"v1"}}`)
	if code != 201 {
		t.Fatalf("create = %d %s", code, out)
	}
	kv, err := cli.Get(ctx, "/registry/configmaps/default/app")
	if err != nil || len(kv.Kvs) != 1 {
		t.Fatalf("etcd holds no /registry/configmaps/default/app: %v %v", kv, err)
	}
	if v := string(kv.Kvs[0].Value); !strings.Contains(v, `"k":"v1"`) || !strings.Contains(v, `"kind":"ConfigMap"`) || strings.Contains(v, "resourceVersion") {
		t.Errorf("stored value = %s", v)
	}
	if rv := rvOf(t, out); rv != kv.Kvs[0].ModRevision {
		t.Errorf("resourceVersion %d, etcd mod revision %d", rv, kv.Kvs[0].ModRevision)
	}
	if _, list := get(t, c, path); rvOf(t, list) < kv.Kvs[0].ModRevision || !strings.Contains(list, `"kube-root-ca.crt"`) {
		t.Errorf("list = %s", list)
	}

	ch := watchPath(t, c, path+"?watch=true&labelSelector=tier%3Dweb&resourceVersion="+strconv.FormatInt(kv.Kvs[0].ModRevision, 10))
	// Another writer (a second API server) changes the key in etcd.
	val := strings.Replace(string(kv.Kvs[0].Value), `"k":"v1"`, `"k":"v2"`, 1)
	put, err := cli.Put(ctx, "/registry/configmaps/default/app", val)
	if err != nil {
		t.Fatal(err)
	}
	ev := nextRaw(t, ch)
	if ev.Type != "MODIFIED" || rvOf(t, string(ev.Object)) != put.Header.Revision || !strings.Contains(string(ev.Object), `"k":"v2"`) {
		t.Errorf("watch event = %s %s, want MODIFIED at %d", ev.Type, ev.Object, put.Header.Revision)
	}
	if _, body := get(t, c, path+"/app"); !strings.Contains(body, `"k":"v2"`) || rvOf(t, body) != put.Header.Revision {
		t.Errorf("get after the etcd write = %s", body)
	}
	if code, _ := send(t, c, "DELETE", path+"/app", "", ""); code != 200 {
		t.Fatalf("delete = %d", code)
	}
	if ev := nextRaw(t, ch); ev.Type != "DELETED" {
		t.Errorf("watch event after delete = %s", ev.Type)
	}
	if kv, _ := cli.Get(ctx, "/registry/configmaps/default/app"); len(kv.Kvs) != 0 {
		t.Error("the deleted config map is still in etcd")
	}
}

// TestSecrets: secrets are created, read, listed, updated and deleted like
// config maps, with data base64 in JSON and stringData folded into it,
// from JSON and from kubectl's protobuf.
func TestSecrets(t *testing.T) {
	f, cli := storedFixture(t)
	c := f.client(t, "system:masters")
	const path = "/api/v1/namespaces/kube-system/secrets"
	code, out := send(t, c, "POST", path, "application/json",
		`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"token"},"data":{"a":"czNjcjN0"},"stringData":{"b":"plain"}}`)
	if code != 201 || !strings.Contains(out, `"a":"czNjcjN0"`) || !strings.Contains(out, `"b":"cGxhaW4="`) || !strings.Contains(out, `"type":"Opaque"`) || strings.Contains(out, "stringData") {
		t.Fatalf("create = %d %s", code, out)
	}
	if kv, err := cli.Get(context.Background(), "/registry/secrets/kube-system/token"); err != nil || len(kv.Kvs) != 1 || !strings.Contains(string(kv.Kvs[0].Value), `"b":"cGxhaW4="`) {
		t.Fatalf("etcd: %v %v", kv, err)
	}
	if code, out := send(t, c, "POST", path, "application/json", `{"kind":"Secret","metadata":{"name":"bad"},"data":{"a":"not base64!"}}`); code != 400 {
		t.Errorf("create with data that is not base64 = %d %s", code, out)
	}
	if _, out := get(t, c, path+"?fieldSelector=type%3DOpaque"); !strings.Contains(out, `"name":"token"`) || !strings.Contains(out, `"kind":"SecretList"`) {
		t.Errorf("list by type = %s", out)
	}
	_, cur := get(t, c, path+"/token")
	update := func(rv int64) (int, string) {
		return send(t, c, "PUT", path+"/token", "application/json",
			`{"kind":"Secret","metadata":{"name":"token","resourceVersion":"`+strconv.FormatInt(rv, 10)+`"},"data":{"a":"bmV3"}}`)
	}
	code, out = update(rvOf(t, cur))
	if code != 200 || !strings.Contains(out, `"a":"bmV3"`) || strings.Contains(out, `"b":`) {
		t.Fatalf("update = %d %s", code, out)
	}
	if code, out := send(t, c, "PUT", path+"/token", "application/json", `{"kind":"Secret","metadata":{"name":"token"},"type":"kubernetes.io/tls"}`); code != 422 || !strings.Contains(out, "field is immutable") {
		t.Errorf("update of the type = %d %s", code, out)
	}
	if code, out := update(rvOf(t, cur)); code != 409 || !strings.Contains(out, "the object has been modified") {
		t.Errorf("update with the replaced resourceVersion = %d %s", code, out)
	}
	if code, _ := send(t, c, "DELETE", path+"/token", "", ""); code != 200 {
		t.Errorf("delete = %d", code)
	}
	if code, _ := get(t, c, path+"/token"); code != 404 {
		t.Errorf("get after delete = %d", code)
	}
}

type rawEvent struct {
	Type   string          `json:"type"`
	Object json.RawMessage `json:"object"`
}

// watchPath opens a watch and returns its events as they arrive.
func watchPath(t *testing.T, c *http.Client, path string) <-chan rawEvent {
	t.Helper()
	resp, err := c.Get("https://" + endpoint + path)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("watch: %v %v", resp, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	ch := make(chan rawEvent, 100)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			var ev rawEvent
			if json.Unmarshal(sc.Bytes(), &ev) == nil {
				ch <- ev
			}
		}
	}()
	return ch
}

func nextRaw(t *testing.T, ch <-chan rawEvent) rawEvent {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("the watch ended")
		}
		return ev
	case <-time.After(3 * time.Second):
		t.Fatal("no watch event within 3s")
	}
	return rawEvent{}
}

// TestDerivedObjectsLiveInEtcd: the objects computed from the simulation
// are written to etcd where kube-apiserver keeps them (nodes under
// /registry/minions) when a read sees them change, and their
// resourceVersions are those writes' revisions.
func TestDerivedObjectsLiveInEtcd(t *testing.T) {
	f, cli := storedFixture(t)
	c := f.client(t, "system:masters")
	ctx := context.Background()
	f.c.SetNode(Node{Name: "cp-1", ControlPlane: true, KubeletSince: f.env.Now()})
	modRev := func(key string) (int64, string) {
		t.Helper()
		kv, err := cli.Get(ctx, key)
		if err != nil || len(kv.Kvs) != 1 {
			t.Fatalf("etcd holds no %s: %v %v", key, kv, err)
		}
		return kv.Kvs[0].ModRevision, string(kv.Kvs[0].Value)
	}
	_, body := get(t, c, "/api/v1/nodes/cp-1")
	first, val := modRev("/registry/minions/cp-1")
	if rvOf(t, body) != first || !strings.Contains(val, `"kind":"Node"`) {
		t.Fatalf("node resourceVersion %d, etcd mod revision %d: %s", rvOf(t, body), first, val)
	}
	if _, body := get(t, c, "/api/v1/nodes/cp-1"); rvOf(t, body) != first {
		t.Errorf("an unchanged node was written again: %d after %d", rvOf(t, body), first)
	}
	f.c.SetNode(Node{Name: "cp-1", ControlPlane: true}) // the kubelet stops
	_, body = get(t, c, "/api/v1/nodes/cp-1")
	second, val := modRev("/registry/minions/cp-1")
	if second <= first || rvOf(t, body) != second || !strings.Contains(val, `"NodeStatusUnknown"`) {
		t.Errorf("after the change: resourceVersion %d, etcd mod revision %d (before %d): %s", rvOf(t, body), second, first, val)
	}
	get(t, c, "/api/v1/namespaces")
	get(t, c, "/api/v1/pods")
	modRev("/registry/namespaces/kube-system")
	modRev("/registry/pods/kube-system/kube-apiserver-cp-1")
	f.c.RemoveNode("cp-1")
	get(t, c, "/api/v1/nodes")
	if kv, _ := cli.Get(ctx, "/registry/minions/cp-1"); len(kv.Kvs) != 0 {
		t.Error("a removed node is still in etcd")
	}
}
