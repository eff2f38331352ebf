package kube

import (
	"cmp"
	"context"
	"crypto/sha256"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"time"
)

// The JSON shapes of core/v1 Node and NodeList, reduced to what health
// checks and operators read.
type nodeJSON struct {
	Kind       string     `json:"kind,omitempty"`
	APIVersion string     `json:"apiVersion,omitempty"`
	Metadata   objectMeta `json:"metadata"`
	Spec       nodeSpec   `json:"spec"`
	Status     nodeStatus `json:"status"`
}

type objectMeta struct {
	Name              string            `json:"name"`
	UID               string            `json:"uid"`
	ResourceVersion   string            `json:"resourceVersion"`
	CreationTimestamp string            `json:"creationTimestamp"`
	Labels            map[string]string `json:"labels,omitempty"`
	Annotations       map[string]string `json:"annotations,omitempty"`
}

type taint struct {
	Key    string `json:"key"`
	Effect string `json:"effect"`
}

type nodeSpec struct {
	Unschedulable bool    `json:"unschedulable,omitempty"`
	Taints        []taint `json:"taints,omitempty"`
}

type condition struct {
	Type               string `json:"type"`
	Status             string `json:"status"`
	LastHeartbeatTime  string `json:"lastHeartbeatTime"`
	LastTransitionTime string `json:"lastTransitionTime"`
	Reason             string `json:"reason"`
	Message            string `json:"message"`
}

type address struct {
	Type    string `json:"type"`
	Address string `json:"address"`
}

type nodeStatus struct {
	Capacity    map[string]string `json:"capacity"`
	Allocatable map[string]string `json:"allocatable"`
	Conditions  []condition       `json:"conditions"`
	Addresses   []address         `json:"addresses"`
	NodeInfo    map[string]string `json:"nodeInfo"`
}

// available answers for the API server when it cannot serve: 503 while it
// is still starting, 500 from etcd once it has lost quorum (linearizable
// reads fail as writes do). The probe answers at once where a real server
// waits out etcd's request timeout, which no client can tell apart.
func (c *Cluster) available(w http.ResponseWriter) bool {
	switch {
	case !c.started():
		writeStatus(w, nil, http.StatusServiceUnavailable, "the server is currently unable to handle the request")
		return false
	case !c.etcdHealthy():
		// What etcd answers a member without quorum, passed on as
		// kube-apiserver passes on any storage error: 500, no reason.
		storageFailed(w, context.DeadlineExceeded)
		return false
	}
	return true
}

// render builds a node object. List items carry no kind or apiVersion, as
// the real API server sends them.
func (c *Cluster) render(n registered) nodeJSON {
	labels := map[string]string{
		"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
		"kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux",
		"kubernetes.io/hostname": n.Name,
	}
	var taints []taint
	if n.ControlPlane {
		labels["node-role.kubernetes.io/control-plane"] = ""
		taints = append(taints, taint{Key: "node-role.kubernetes.io/control-plane", Effect: "NoSchedule"})
	}
	maps.Copy(labels, n.Labels)
	if n.unschedulable {
		taints = append(taints, taint{Key: "node.kubernetes.io/unschedulable", Effect: "NoSchedule"})
	}
	ready := c.nodeReady(n.Node)
	switch {
	case n.KubeletSince.IsZero():
		taints = append(taints, taint{Key: "node.kubernetes.io/unreachable", Effect: "NoSchedule"})
	case !ready:
		taints = append(taints, taint{Key: "node.kubernetes.io/not-ready", Effect: "NoSchedule"})
	}
	capacity := map[string]string{
		"cpu": strconv.Itoa(max(n.CPUs, 1)), "memory": fmt.Sprintf("%dKi", n.MemoryBytes/1024),
		"pods": "110", "ephemeral-storage": "10Gi", "hugepages-2Mi": "0",
	}
	return nodeJSON{
		Metadata: objectMeta{
			Name: n.Name, UID: uid(c.spec.Name, n.Name), CreationTimestamp: n.created.UTC().Format(time.RFC3339), Labels: labels,
			Annotations: map[string]string{"node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true"},
		},
		Spec: nodeSpec{Unschedulable: n.unschedulable, Taints: taints},
		Status: nodeStatus{
			Capacity: capacity, Allocatable: capacity,
			Conditions: c.conditions(n, ready),
			Addresses:  []address{{"InternalIP", n.InternalIP}, {"Hostname", n.Name}},
			NodeInfo: map[string]string{
				"architecture": "amd64", "operatingSystem": "linux", "osImage": cmp.Or(n.OSImage, "Linux"),
				"kubeletVersion": c.spec.Version, "containerRuntimeVersion": "containerd://2.1.5",
				"kernelVersion": "6.18.9-talos", "machineID": uid("machine", n.Name), "systemUUID": uid("system", n.Name),
				"bootID": uid("boot", n.Name+n.KubeletSince.String()),
			},
		},
	}
}

// conditions are the kubelet's four pressure conditions and Ready. A stopped
// kubelet leaves them Unknown, as the node lifecycle controller marks them;
// when it stopped is not modelled, so the times are the node's creation,
// which keeps the object (and its resourceVersion) still while nothing
// changes.
func (c *Cluster) conditions(n registered, ready bool) []condition {
	now := c.env.Now().UTC().Format(time.RFC3339)
	since := n.created.UTC().Format(time.RFC3339)
	if n.KubeletSince.IsZero() {
		var out []condition
		for _, t := range []string{"MemoryPressure", "DiskPressure", "PIDPressure", "Ready"} {
			out = append(out, condition{t, "Unknown", since, since, "NodeStatusUnknown", "Kubelet stopped posting node status."})
		}
		return out
	}
	out := []condition{
		{"MemoryPressure", "False", now, since, "KubeletHasSufficientMemory", "kubelet has sufficient memory available"},
		{"DiskPressure", "False", now, since, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"},
		{"PIDPressure", "False", now, since, "KubeletHasSufficientPID", "kubelet has sufficient PID available"},
	}
	if ready {
		return append(out, condition{"Ready", "True", now, since, "KubeletReady", "kubelet is posting ready status"})
	}
	return append(out, condition{"Ready", "False", now, since, "KubeletNotReady",
		"container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"})
}

// uid derives a stable UUID-shaped identifier.
func uid(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%s\x00", p)
	}
	b := h.Sum(nil)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// answerNode writes one node as a GET of it answers, or its 404.
func (c *Cluster) answerNode(w http.ResponseWriter, r *http.Request, name string, ok bool) {
	if !ok {
		writeStatusDetails(w, http.StatusNotFound, fmt.Sprintf("nodes %q not found", name), &statusDetails{Name: name, Kind: "nodes"})
		return
	}
	c.get(c.resourceNamed("", "nodes"))(w, r)
}
