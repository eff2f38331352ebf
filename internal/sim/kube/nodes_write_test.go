package kube

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

func send(t *testing.T, c *http.Client, method, path, ctype, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, "https://"+endpoint+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestCordonDrainDeleteNode removes a worker the way an operator's tool
// does: cordon by a merge patch of spec.unschedulable, evict its pods
// (a DaemonSet's pod comes straight back), delete the node object; the
// kubelet's next status sync does not re-create it until it restarts.
func TestCordonDrainDeleteNode(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1)
	f.healthy.Store(true)
	f.c.SetBootstrapped(f.env.Now())
	since := f.env.Now()
	w := Node{Name: "w-1", InternalIP: "10.20.0.21", KubeletSince: since}
	f.c.SetNode(w)
	f.c.SetPod(Pod{Namespace: "default", Name: "web-1", Node: "w-1", OwnerKind: "ReplicaSet", OwnerName: "web-5d9"})
	c := f.client(t, "system:masters")

	if code, _ := send(t, f.client(t, "developers"), "PATCH", "/api/v1/nodes/w-1", "application/merge-patch+json", `{"spec":{"unschedulable":true}}`); code != 403 {
		t.Fatalf("non-admin cordon = %d, want 403", code)
	}
	if code, _ := send(t, c, "PATCH", "/api/v1/nodes/w-1", "application/json", `{"spec":{"unschedulable":true}}`); code != 415 {
		t.Fatalf("PATCH as application/json = %d, want 415", code)
	}
	code, body := send(t, c, "PATCH", "/api/v1/nodes/w-1", "application/merge-patch+json", `{"spec":{"unschedulable":true}}`)
	var n nodeJSON
	if err := json.Unmarshal([]byte(body), &n); code != 200 || err != nil || !n.Spec.Unschedulable ||
		!strings.Contains(body, `"key":"node.kubernetes.io/unschedulable"`) {
		t.Fatalf("cordon = %d %s", code, body)
	}
	if code, _ := send(t, c, "PATCH", "/api/v1/nodes/w-1", "application/merge-patch+json", `{"metadata":{"labels":{"a":"b"}}}`); code != 501 {
		t.Fatalf("unmodelled patch = %d, want 501", code)
	}

	pods := func() []string {
		_, body := get(t, c, "/api/v1/pods?fieldSelector=spec.nodeName%3Dw-1")
		var list struct{ Items []podJSON }
		if err := json.Unmarshal([]byte(body), &list); err != nil {
			t.Fatalf("pods: %s", body)
		}
		var out []string
		for _, p := range list.Items {
			out = append(out, p.Metadata.Namespace+"/"+p.Metadata.Name)
		}
		return out
	}
	all := pods()
	if len(all) != 3 || all[0] != "default/web-1" || !strings.HasPrefix(all[1], "kube-system/kube-flannel-") {
		t.Fatalf("pods on w-1 = %v", all)
	}
	evict := func(ns, name string) int {
		code, _ := send(t, c, "POST", "/api/v1/namespaces/"+ns+"/pods/"+name+"/eviction", "application/json",
			`{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"`+name+`","namespace":"`+ns+`"}}`)
		return code
	}
	ds := strings.TrimPrefix(all[2], "kube-system/")
	if code := evict("default", "web-1"); code != 201 {
		t.Fatalf("evict web-1 = %d, want 201", code)
	}
	if code := evict("kube-system", ds); code != 201 {
		t.Fatalf("evict %s = %d, want 201", ds, code)
	}
	if got := pods(); len(got) != 2 || got[1] != "kube-system/"+ds {
		t.Fatalf("after evictions: %v (web-1 gone, the DaemonSet pods back)", got)
	}
	if code := evict("default", "web-1"); code != 404 {
		t.Fatalf("second eviction = %d, want 404", code)
	}

	code, body = send(t, c, "DELETE", "/api/v1/nodes/w-1", "", "")
	if code != 200 || !strings.Contains(body, `"status":"Success"`) {
		t.Fatalf("delete = %d %s", code, body)
	}
	f.c.SetNode(w) // the kubelet's next sync
	if code, _ := get(t, c, "/api/v1/nodes/w-1"); code != 404 {
		t.Fatalf("a deleted node came back without a kubelet restart: %d", code)
	}
	if code, _ := send(t, c, "DELETE", "/api/v1/nodes/w-1", "", ""); code != 404 {
		t.Fatalf("second delete = %d, want 404", code)
	}
	if got := pods(); len(got) != 0 {
		t.Fatalf("pods of a deleted node: %v", got)
	}
	w.KubeletSince = since.Add(time.Second)
	f.c.SetNode(w)
	if code, _ := get(t, c, "/api/v1/nodes/w-1"); code != 200 {
		t.Fatalf("a restarted kubelet did not register its node again: %d", code)
	}
}

// TestAccessReviews answers auth can-i as the handlers decide: the admin
// may do anything, a kubelet may read nodes, another user nothing.
func TestAccessReviews(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1)
	review := func(org, attrs string) string {
		code, body := send(t, f.client(t, org), "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", "application/json",
			`{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{`+attrs+`}}`)
		if code != 201 {
			return body
		}
		var r struct{ Status struct{ Allowed bool } }
		_ = json.Unmarshal([]byte(body), &r)
		return map[bool]string{true: "yes", false: "no"}[r.Status.Allowed]
	}
	for _, c := range []struct{ org, attrs, want string }{
		{"system:masters", `"resourceAttributes":{"verb":"delete","resource":"nodes"}`, "yes"},
		{"system:nodes", `"resourceAttributes":{"verb":"list","resource":"nodes"}`, "yes"},
		{"system:nodes", `"resourceAttributes":{"verb":"delete","resource":"nodes"}`, "no"},
		{"developers", `"resourceAttributes":{"verb":"get","resource":"pods","namespace":"default"}`, "no"},
		{"developers", `"nonResourceAttributes":{"verb":"get","path":"/readyz"}`, "yes"},
	} {
		if got := review(c.org, c.attrs); got != c.want {
			t.Errorf("%s may %s: %s, want %s", c.org, c.attrs, got, c.want)
		}
	}
	if got := review("developers", ""); !strings.Contains(got, "exactly one of nonResourceAttributes or resourceAttributes") {
		t.Errorf("an empty review: %s", got)
	}
}
