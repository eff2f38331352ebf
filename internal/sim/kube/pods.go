package kube

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
)

// Pod is a pod bound to a node. Every registered node also has the
// DaemonSet pods a Talos node starts (kube-proxy and kube-flannel in
// kube-system); others are placed with SetPod, as a test or drill does.
type Pod struct {
	Namespace string
	Name      string
	Node      string // spec.nodeName
	OwnerKind string // the controller's kind (ReplicaSet, DaemonSet...), "" for a bare pod
	OwnerName string
}

// daemonSets are the DaemonSets every Talos node runs a pod of.
var daemonSets = []string{"kube-flannel", "kube-proxy"}

// SetPod places (or replaces) a pod.
func (c *Cluster) SetPod(p Pod) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pods[p.Namespace+"/"+p.Name] = p
}

// Pods lists every pod, DaemonSet ones included, sorted by namespace/name.
func (c *Cluster) Pods() []Pod {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Pod
	for _, p := range c.pods {
		out = append(out, p)
	}
	for _, r := range c.nodes {
		for _, ds := range daemonSets {
			out = append(out, Pod{Namespace: "kube-system", Name: ds + "-" + uid(ds, r.Name)[:5], Node: r.Name, OwnerKind: "DaemonSet", OwnerName: ds})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Namespace+"/"+out[i].Name < out[j].Namespace+"/"+out[j].Name })
	return out
}

type podJSON struct {
	Metadata struct {
		Name            string     `json:"name"`
		Namespace       string     `json:"namespace"`
		UID             string     `json:"uid"`
		OwnerReferences []ownerRef `json:"ownerReferences,omitempty"`
	} `json:"metadata"`
	Spec struct {
		NodeName string `json:"nodeName"`
	} `json:"spec"`
	Status struct {
		Phase string `json:"phase"`
	} `json:"status"`
}

type ownerRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	UID        string `json:"uid"`
	Controller bool   `json:"controller"`
}

func renderPod(p Pod) podJSON {
	var j podJSON
	j.Metadata.Name, j.Metadata.Namespace, j.Metadata.UID = p.Name, p.Namespace, uid("pod", p.Namespace, p.Name)
	if p.OwnerKind != "" {
		j.Metadata.OwnerReferences = []ownerRef{{APIVersion: "apps/v1", Kind: p.OwnerKind, Name: p.OwnerName, UID: uid(p.OwnerKind, p.OwnerName), Controller: true}}
	}
	j.Spec.NodeName, j.Status.Phase = p.Node, "Running"
	return j
}

// listPods answers GET /api/v1/pods, with the one field selector a drain
// uses (spec.nodeName=NODE); other selectors are not modelled.
func (c *Cluster) listPods(w http.ResponseWriter, r *http.Request) {
	if !isAdmin(r) {
		u, _ := user(r)
		writeStatusDetails(w, http.StatusForbidden, fmt.Sprintf("pods is forbidden: User %q cannot list resource \"pods\" in API group \"\" at the cluster scope", u), &statusDetails{Kind: "pods"})
		return
	}
	q := r.URL.Query()
	node, byNode := strings.CutPrefix(q.Get("fieldSelector"), "spec.nodeName=")
	if (q.Get("fieldSelector") != "" && !byNode) || q.Get("labelSelector") != "" {
		c.unmodelled(w, "GET /api/v1/pods?"+r.URL.RawQuery)
		return
	}
	if !c.available(w) {
		return
	}
	items := []podJSON{}
	for _, p := range c.Pods() {
		if !byNode || p.Node == node {
			items = append(items, renderPod(p))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"kind": "PodList", "apiVersion": "v1", "metadata": map[string]string{"resourceVersion": "1"}, "items": items})
}

// eviction is policy/v1 Eviction, the body of a pods/eviction POST.
type eviction struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

// evictPod evicts a pod: a placed pod is deleted at once (no disruption
// budgets are modelled); a DaemonSet's pod is deleted and at once replaced
// by its controller, so evicting it never empties a node.
func (c *Cluster) evictPod(w http.ResponseWriter, r *http.Request) {
	ns, name := r.PathValue("namespace"), r.PathValue("name")
	if !isAdmin(r) {
		forbidden(w, r, "create", "pods/eviction", name)
		return
	}
	var ev eviction
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err := json.Unmarshal(body, &ev); err != nil || ev.Kind != "Eviction" {
		writeStatus(w, r, http.StatusBadRequest, fmt.Sprintf("the request body is not a policy/v1 Eviction: %s", body))
		return
	}
	if ev.Metadata.Name != name || (ev.Metadata.Namespace != "" && ev.Metadata.Namespace != ns) {
		writeStatus(w, r, http.StatusBadRequest, fmt.Sprintf("name in URL does not match name in Eviction object: %s/%s", ev.Metadata.Namespace, ev.Metadata.Name))
		return
	}
	if !c.available(w) {
		return
	}
	found := false
	for _, p := range c.Pods() {
		if p.Namespace == ns && p.Name == name {
			found = true
		}
	}
	if !found {
		writeStatusDetails(w, http.StatusNotFound, fmt.Sprintf("pods %q not found", name), &statusDetails{Name: name, Kind: "pods"})
		return
	}
	c.mu.Lock()
	delete(c.pods, ns+"/"+name)
	c.mu.Unlock()
	writeJSON(w, http.StatusCreated, status{Kind: "Status", APIVersion: "v1", Status: "Success", Code: http.StatusCreated})
}
