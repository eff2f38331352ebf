package kube

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

type listBody struct {
	Kind     string `json:"kind"`
	Metadata struct {
		ResourceVersion    string `json:"resourceVersion"`
		Continue           string `json:"continue"`
		RemainingItemCount *int   `json:"remainingItemCount"`
	} `json:"metadata"`
	Items []nodeJSON `json:"items"`
}

func names(l listBody) []string {
	var out []string
	for _, n := range l.Items {
		out = append(out, n.Metadata.Name)
	}
	return out
}

func listFixture(t *testing.T) (*fixture, *http.Client, func(query string) (int, listBody, string)) {
	f := newFixture(t, simcore.Instant, 1)
	f.healthy.Store(true)
	f.c.SetBootstrapped(f.env.Now())
	for _, n := range []Node{
		{Name: "cp-1", ControlPlane: true, Labels: map[string]string{"zone": "a"}},
		{Name: "cp-2", ControlPlane: true, Labels: map[string]string{"zone": "b"}},
		{Name: "w-1", Labels: map[string]string{"zone": "a", "gpu": "yes"}},
		{Name: "w-2", Labels: map[string]string{"zone": "c"}},
	} {
		n.KubeletSince = f.env.Now()
		f.c.SetNode(n)
	}
	c := f.client(t, "system:masters")
	return f, c, func(query string) (int, listBody, string) {
		t.Helper()
		code, body := get(t, c, "/api/v1/nodes?"+query)
		var l listBody
		if code == 200 {
			if err := json.Unmarshal([]byte(body), &l); err != nil {
				t.Fatalf("list %s: %v %s", query, err, body)
			}
		}
		return code, l, body
	}
}

func TestListSelectors(t *testing.T) {
	_, _, list := listFixture(t)
	for sel, want := range map[string][]string{
		"node-role.kubernetes.io/control-plane":  {"cp-1", "cp-2"},
		"!node-role.kubernetes.io/control-plane": {"w-1", "w-2"},
		"zone=a":                                 {"cp-1", "w-1"},
		"zone==a,gpu":                            {"w-1"},
		"zone!=a":                                {"cp-2", "w-2"},
		"zone in (a, c)":                         {"cp-1", "w-1", "w-2"},
		"zone notin (a,c),node-role.kubernetes.io/control-plane": {"cp-2"},
		"gpu!=yes": {"cp-1", "cp-2", "w-2"},
	} {
		code, l, body := list("labelSelector=" + url.QueryEscape(sel))
		if code != 200 || !slices.Equal(names(l), want) {
			t.Errorf("labelSelector %q = %d %v, want %v (%s)", sel, code, names(l), want, body)
		}
	}
	if code, l, _ := list("fieldSelector=" + url.QueryEscape("metadata.name=w-2")); code != 200 || !slices.Equal(names(l), []string{"w-2"}) {
		t.Errorf("fieldSelector metadata.name = %d %v", code, names(l))
	}
	if code, l, _ := list("fieldSelector=" + url.QueryEscape("metadata.name!=w-2,spec.unschedulable=false")); code != 200 || len(l.Items) != 3 {
		t.Errorf("fieldSelector != = %d %v", code, names(l))
	}
	if code, _, body := list("fieldSelector=spec.podCIDR%3Dx"); code != 400 || !strings.Contains(body, "field label not supported: spec.podCIDR") {
		t.Errorf("unsupported field = %d %s", code, body)
	}
	if code, _, body := list("labelSelector=" + url.QueryEscape("zone in (a")); code != 400 || !strings.Contains(body, "unable to parse requirement") {
		t.Errorf("bad label selector = %d %s", code, body)
	}
}

func TestListLimitContinueAndResourceVersion(t *testing.T) {
	_, _, list := listFixture(t)
	code, first, _ := list("limit=3")
	if code != 200 || !slices.Equal(names(first), []string{"cp-1", "cp-2", "w-1"}) || first.Metadata.Continue == "" ||
		first.Metadata.RemainingItemCount == nil || *first.Metadata.RemainingItemCount != 1 {
		t.Fatalf("first page = %d %+v", code, first)
	}
	code, next, _ := list("limit=3&continue=" + url.QueryEscape(first.Metadata.Continue))
	if code != 200 || !slices.Equal(names(next), []string{"w-2"}) || next.Metadata.Continue != "" || next.Metadata.ResourceVersion != first.Metadata.ResourceVersion {
		t.Fatalf("second page = %d %+v", code, next)
	}
	if code, _, body := list("continue=bogus"); code != 400 || !strings.Contains(body, "continue key is not valid") {
		t.Errorf("bad continue = %d %s", code, body)
	}
	if code, _, body := list("resourceVersion=999999999"); code != 504 || !strings.Contains(body, "Too large resource version") {
		t.Errorf("future resourceVersion = %d %s", code, body)
	}
	// Nothing changed: the collection's resourceVersion stays; a change moves it.
	_, again, _ := list("")
	if again.Metadata.ResourceVersion != first.Metadata.ResourceVersion {
		t.Errorf("resourceVersion moved without a change: %s -> %s", first.Metadata.ResourceVersion, again.Metadata.ResourceVersion)
	}
}

type watchEvent struct {
	Type   string   `json:"type"`
	Object nodeJSON `json:"object"`
}

// watchNodes opens a watch and returns its events as they arrive.
func watchNodes(t *testing.T, c *http.Client, query string) <-chan watchEvent {
	t.Helper()
	resp, err := c.Get("https://" + endpoint + "/api/v1/nodes?watch=true&" + query)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("watch: %v %v", resp, err)
	}
	ch := make(chan watchEvent, 100)
	go func() {
		defer close(ch)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			var ev watchEvent
			if json.Unmarshal(sc.Bytes(), &ev) == nil {
				ch <- ev
			}
		}
	}()
	return ch
}

func next(t *testing.T, ch <-chan watchEvent) watchEvent {
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
	return watchEvent{}
}

func TestWatchNodes(t *testing.T) {
	f, c, list := listFixture(t)
	ch := watchNodes(t, c, "labelSelector=zone%3Da&timeoutSeconds=20")
	for _, want := range []string{"cp-1", "w-1"} {
		if ev := next(t, ch); ev.Type != "ADDED" || ev.Object.Metadata.Name != want || ev.Object.Kind != "Node" {
			t.Fatalf("initial event = %s %s, want ADDED %s", ev.Type, ev.Object.Metadata.Name, want)
		}
	}
	_, before, _ := list("")
	// w-1's kubelet stops: MODIFIED (Ready Unknown). w-2 moves into zone a:
	// ADDED to this watch. cp-1 leaves zone a: DELETED from it.
	f.c.SetNode(Node{Name: "w-1", Labels: map[string]string{"zone": "a", "gpu": "yes"}})
	if ev := next(t, ch); ev.Type != "MODIFIED" || ev.Object.Metadata.Name != "w-1" || ready(ev.Object) != "Unknown" {
		t.Fatalf("event = %s %s Ready=%s, want MODIFIED w-1 Unknown", ev.Type, ev.Object.Metadata.Name, ready(ev.Object))
	}
	f.c.SetNode(Node{Name: "w-2", KubeletSince: f.env.Now(), Labels: map[string]string{"zone": "a"}})
	if ev := next(t, ch); ev.Type != "ADDED" || ev.Object.Metadata.Name != "w-2" {
		t.Fatalf("event = %s %s, want ADDED w-2", ev.Type, ev.Object.Metadata.Name)
	}
	f.c.SetNode(Node{Name: "cp-1", ControlPlane: true, KubeletSince: f.env.Now(), Labels: map[string]string{"zone": "b"}})
	if ev := next(t, ch); ev.Type != "DELETED" || ev.Object.Metadata.Name != "cp-1" {
		t.Fatalf("event = %s %s, want DELETED cp-1", ev.Type, ev.Object.Metadata.Name)
	}
	f.c.RemoveNode("w-1")
	if ev := next(t, ch); ev.Type != "DELETED" || ev.Object.Metadata.Name != "w-1" {
		t.Fatalf("event = %s %s, want DELETED w-1", ev.Type, ev.Object.Metadata.Name)
	}

	// A watch from the list's resourceVersion replays only what came after.
	resumed := watchNodes(t, c, "resourceVersion="+before.Metadata.ResourceVersion+"&timeoutSeconds=1")
	var got []string
	for ev := range resumed {
		got = append(got, ev.Type+" "+ev.Object.Metadata.Name)
	}
	if want := []string{"MODIFIED w-1", "MODIFIED w-2", "MODIFIED cp-1", "DELETED w-1"}; !slices.Equal(got, want) {
		t.Errorf("resumed watch = %v, want %v (then the end at timeoutSeconds)", got, want)
	}
}

func TestConfigMapWrites(t *testing.T) {
	f, c, _ := listFixture(t)
	const path = "/api/v1/namespaces/default/configmaps"
	body := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"app"},"data":{"k":"v1"}}`
	if code, out := send(t, f.client(t, "developers"), "POST", path, "application/json", body); code != 403 {
		t.Fatalf("non-admin create = %d %s", code, out)
	}
	code, out := send(t, c, "POST", path, "application/json", body)
	var cm struct {
		Metadata struct{ ResourceVersion string } `json:"metadata"`
		Data     map[string]string                `json:"data"`
	}
	if err := json.Unmarshal([]byte(out), &cm); code != 201 || err != nil || cm.Data["k"] != "v1" || cm.Metadata.ResourceVersion == "" {
		t.Fatalf("create = %d %s", code, out)
	}
	if code, _ := send(t, c, "POST", path, "application/json", body); code != 409 {
		t.Errorf("second create = %d, want 409", code)
	}
	if code, out := send(t, c, "POST", "/api/v1/namespaces/nope/configmaps", "application/json", body); code != 404 || !strings.Contains(out, `namespaces \"nope\" not found`) {
		t.Errorf("create in a missing namespace = %d %s", code, out)
	}
	if code, _ := send(t, c, "POST", path, "application/json", `{"metadata":{"name":"Bad_Name"}}`); code != 422 {
		t.Errorf("invalid name = %d, want 422", code)
	}
	put := func(rv, v string) (int, string) {
		return send(t, c, "PUT", path+"/app", "application/json",
			`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"app","resourceVersion":"`+rv+`"},"data":{"k":"`+v+`"}}`)
	}
	if code, out := put(cm.Metadata.ResourceVersion, "v2"); code != 200 || !strings.Contains(out, `"k":"v2"`) {
		t.Fatalf("update = %d %s", code, out)
	}
	if code, out := put(cm.Metadata.ResourceVersion, "v3"); code != 409 || !strings.Contains(out, "the object has been modified") {
		t.Errorf("update with a stale resourceVersion = %d %s", code, out)
	}
	if code, out := get(t, c, path+"/app"); code != 200 || !strings.Contains(out, `"k":"v2"`) {
		t.Errorf("get after the refused update = %d %s", code, out)
	}
	if code, _ := send(t, c, "DELETE", path+"/app", "", ""); code != 200 {
		t.Errorf("delete = %d", code)
	}
	if code, _ := get(t, c, path+"/app"); code != 404 {
		t.Errorf("get after delete = %d, want 404", code)
	}
	if code, _ := put("", "v4"); code != 404 {
		t.Errorf("update of a deleted config map = %d, want 404", code)
	}
}
