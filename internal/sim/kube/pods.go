package kube

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
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

// Pods lists every pod, the ones a Talos cluster starts itself included,
// sorted by namespace/name.
func (c *Cluster) Pods() []Pod {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Pod
	for _, p := range c.pods {
		out = append(out, p)
	}
	var cps []string
	for _, r := range c.nodes {
		for _, ds := range daemonSets {
			out = append(out, Pod{Namespace: "kube-system", Name: ds + "-" + suffix(5, ds, r.Name), Node: r.Name, OwnerKind: "DaemonSet", OwnerName: ds})
		}
		if r.ControlPlane {
			cps = append(cps, r.Name)
			for _, sp := range staticPods {
				out = append(out, Pod{Namespace: "kube-system", Name: sp + "-" + r.Name, Node: r.Name, OwnerKind: "Node", OwnerName: r.Name})
			}
		}
	}
	sort.Strings(cps)
	// CoreDNS's two replicas tolerate the control-plane taint; with no
	// control plane registered they are not scheduled yet.
	rs := "coredns-" + suffix(10, c.spec.Name, "coredns")
	for i := range 2 {
		p := Pod{Namespace: "kube-system", Name: rs + "-" + suffix(5, rs, strconv.Itoa(i)), OwnerKind: "ReplicaSet", OwnerName: rs}
		if len(cps) > 0 {
			p.Node = cps[i%len(cps)]
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Namespace+"/"+out[i].Name < out[j].Namespace+"/"+out[j].Name })
	return out
}

// suffix is a generated name's random part: n characters from the
// alphabet Kubernetes uses for them, derived from parts.
func suffix(n int, parts ...string) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	h := strings.ReplaceAll(uid(parts...), "-", "")
	out := make([]byte, n)
	for i := range out {
		out[i] = alphabet[int(h[i])%len(alphabet)]
	}
	return string(out)
}

// staticPods are the control plane's static pods; the kubelet mirrors them
// into the API as pods owned by their node.
var staticPods = []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler"}

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
