package kube

import (
	"fmt"
	"strings"
	"time"
)

// podJSON is the part of core/v1 Pod that tests decode.
type podJSON struct {
	Metadata struct {
		Name            string            `json:"name"`
		Namespace       string            `json:"namespace"`
		UID             string            `json:"uid"`
		Labels          map[string]string `json:"labels,omitempty"`
		Annotations     map[string]string `json:"annotations,omitempty"`
		OwnerReferences []ownerRef        `json:"ownerReferences,omitempty"`
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

// podLabels and podImages are what the Talos manifests and static pods set.
var podLabels = map[string]map[string]string{
	"kube-flannel":            {"app": "flannel", "k8s-app": "flannel", "tier": "node"},
	"kube-proxy":              {"k8s-app": "kube-proxy", "tier": "node"},
	"coredns":                 {"k8s-app": "kube-dns"},
	"kube-apiserver":          {"k8s-app": "kube-apiserver", "tier": "control-plane"},
	"kube-controller-manager": {"k8s-app": "kube-controller-manager", "tier": "control-plane"},
	"kube-scheduler":          {"k8s-app": "kube-scheduler", "tier": "control-plane"},
}

func podImage(app, version string) string {
	switch app {
	case "kube-flannel":
		return "ghcr.io/siderolabs/flannel:v0.27.4"
	case "coredns":
		return "registry.k8s.io/coredns/coredns:v1.12.4"
	}
	return "registry.k8s.io/" + app + ":" + version
}

// app is the workload a pod belongs to: its DaemonSet, Deployment or
// static pod name.
func (p Pod) app() string {
	switch p.OwnerKind {
	case "DaemonSet":
		return p.OwnerName
	case "Node":
		return strings.TrimSuffix(p.Name, "-"+p.OwnerName)
	case "ReplicaSet":
		if strings.HasPrefix(p.OwnerName, "coredns-") {
			return "coredns"
		}
	}
	return ""
}

// podObjects renders every pod. A pod runs while its node's kubelet does and
// is ready while the node is; an unscheduled pod is Pending.
func (c *Cluster) podObjects() []object {
	nodes := map[string]registered{}
	for _, n := range c.nodeList() {
		nodes[n.Name] = n
	}
	var out []object
	for _, p := range c.Pods() {
		n, onNode := nodes[p.Node]
		app := p.app()
		o := object{namespace: p.Namespace, name: p.Name, labels: podLabels[app], created: n.created}
		if o.created.IsZero() {
			o.created = c.Bootstrapped()
		}
		md := meta(o, "pod", p.Namespace, p.Name)
		if p.OwnerKind != "" {
			api := "apps/v1"
			if p.OwnerKind == "Node" {
				api = "v1"
				md["annotations"] = map[string]string{"kubernetes.io/config.mirror": uid("mirror", p.Name), "kubernetes.io/config.source": "file"}
			}
			md["ownerReferences"] = []ownerRef{{APIVersion: api, Kind: p.OwnerKind, Name: p.OwnerName, UID: uid(p.OwnerKind, p.OwnerName), Controller: true}}
		}
		container := app
		if container == "" {
			container = p.Name
		}
		image := podImage(app, c.spec.Version)
		spec := map[string]any{"containers": []map[string]any{{"name": container, "image": image}},
			"restartPolicy": "Always", "schedulerName": "default-scheduler", "serviceAccountName": "default"}
		phase, ready := "Pending", false
		status := map[string]any{}
		if onNode {
			spec["nodeName"] = p.Node
			status["hostIP"] = n.InternalIP
			if !n.KubeletSince.IsZero() {
				phase, ready = "Running", c.nodeReady(n.Node)
				status["startTime"] = n.KubeletSince.UTC().Format(time.RFC3339)
			}
			status["podIP"] = n.InternalIP // static pods, kube-proxy and flannel use the host's network
			if p.OwnerKind != "DaemonSet" && p.OwnerKind != "Node" {
				h := uid("podIP", p.Namespace, p.Name)
				status["podIP"] = fmt.Sprintf("10.244.%d.%d", int(h[0])%8, 2+int(h[1])%250)
			}
		}
		status["phase"] = phase
		cs := map[string]any{"name": container, "image": image, "ready": ready, "restartCount": 0, "started": phase == "Running",
			"state": map[string]any{"waiting": map[string]string{"reason": "ContainerCreating"}}}
		if phase == "Running" {
			cs["containerID"] = "containerd://" + strings.ReplaceAll(uid("container", p.Namespace, p.Name, n.KubeletSince.String()), "-", "")
			cs["imageID"] = image
			cs["state"] = map[string]any{"running": map[string]string{"startedAt": n.KubeletSince.UTC().Format(time.RFC3339)}}
		}
		if ip, ok := status["podIP"].(string); ok {
			status["podIPs"] = []map[string]string{{"ip": ip}}
		}
		status["containerStatuses"] = []map[string]any{cs}
		status["conditions"] = []map[string]string{{"type": "Ready", "status": map[bool]string{true: "True", false: "False"}[ready]}}
		o.fields = map[string]string{"spec.nodeName": p.Node, "status.phase": phase, "spec.restartPolicy": "Always",
			"spec.schedulerName": "default-scheduler", "spec.serviceAccountName": "default", "status.podIP": ""}
		if ip, ok := status["podIP"].(string); ok {
			o.fields["status.podIP"] = ip
		}
		o.doc = map[string]any{"metadata": md, "spec": spec, "status": status}
		out = append(out, o)
	}
	return out
}
