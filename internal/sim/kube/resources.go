package kube

import (
	"time"
)

// The resources the simulated API serves, in discovery's order. Config
// maps and secrets are stored in etcd; the others are views of the
// simulation: nodes from the kubelets, pods from the nodes (the
// pods a fresh Talos cluster runs) and SetPod, the rest fixed by what
// kube-apiserver and Talos create at bootstrap.
func (c *Cluster) resources() []*resource {
	return []*resource{
		{name: "namespaces", singular: "namespace", kind: "Namespace", shortNames: []string{"ns"},
			fields: []string{"status.phase"}, objects: (*Cluster).namespaceObjects, table: namespaceRow, columns: namespaceColumns},
		{name: "configmaps", singular: "configmap", kind: "ConfigMap", namespaced: true, shortNames: []string{"cm"},
			verbs: []string{"create", "delete", "get", "list", "patch", "update", "watch"}, stored: true,
			table: configMapRow, columns: configMapColumns},
		{name: "secrets", singular: "secret", kind: "Secret", namespaced: true, fields: []string{"type"},
			verbs: []string{"create", "delete", "get", "list", "patch", "update", "watch"}, stored: true,
			table: secretRow, columns: secretColumns},
		{name: "nodes", singular: "node", kind: "Node", shortNames: []string{"no"}, verbs: []string{"delete", "get", "list", "patch", "watch"},
			fields: []string{"spec.unschedulable"}, objects: (*Cluster).nodeObjects, table: nodeRow, columns: nodeColumns},
		{name: "pods", singular: "pod", kind: "Pod", namespaced: true, shortNames: []string{"po"}, categories: []string{"all"},
			fields:  []string{"spec.nodeName", "status.phase", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "status.podIP", "status.nominatedNodeName"},
			objects: (*Cluster).podObjects, table: podRow, columns: podColumns},
		{name: "services", singular: "service", kind: "Service", namespaced: true, shortNames: []string{"svc"}, categories: []string{"all"},
			objects: (*Cluster).serviceObjects, table: serviceRow, columns: serviceColumns},
		{name: "events", singular: "event", kind: "Event", namespaced: true, shortNames: []string{"ev"},
			fields: []string{"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
				"involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"},
			objects: (*Cluster).eventObjects, table: eventRow, columns: eventColumns},
		{name: "selfsubjectreviews", singular: "selfsubjectreview", kind: "SelfSubjectReview", group: "authentication.k8s.io",
			verbs: []string{"create"}, createOnly: true},
		{name: "selfsubjectaccessreviews", singular: "selfsubjectaccessreview", kind: "SelfSubjectAccessReview", group: "authorization.k8s.io",
			verbs: []string{"create"}, createOnly: true},
		{name: "leases", singular: "lease", kind: "Lease", group: "coordination.k8s.io", namespaced: true,
			objects: (*Cluster).leaseObjects, table: leaseRow, columns: leaseColumns},
	}
}

// resourceNamed finds a served resource by its plural name and group.
func (c *Cluster) resourceNamed(group, name string) *resource {
	for _, res := range c.resources() {
		if res.group == group && res.name == name {
			return res
		}
	}
	return nil
}

// meta is the metadata every object carries.
func meta(o object, uidParts ...string) map[string]any {
	m := map[string]any{"name": o.name, "uid": uid(uidParts...), "creationTimestamp": o.created.UTC().Format(time.RFC3339)}
	if o.namespace != "" {
		m["namespace"] = o.namespace
	}
	if len(o.labels) > 0 {
		m["labels"] = o.labels
	}
	return m
}

// systemNamespaces are those kube-apiserver creates.
var systemNamespaces = []string{"default", "kube-node-lease", "kube-public", "kube-system"}

func (c *Cluster) namespaceObjects() []object {
	var out []object
	for _, ns := range systemNamespaces {
		o := object{name: ns, created: c.Bootstrapped(), labels: map[string]string{"kubernetes.io/metadata.name": ns},
			fields: map[string]string{"status.phase": "Active"}}
		o.doc = map[string]any{"metadata": meta(o, c.spec.Name, "namespace", ns),
			"spec": map[string]any{"finalizers": []string{"kubernetes"}}, "status": map[string]any{"phase": "Active"}}
		out = append(out, o)
	}
	return out
}

func (c *Cluster) nodeObjects() []object {
	var out []object
	for _, n := range c.nodeList() {
		j := c.render(n)
		o := object{name: n.Name, labels: j.Metadata.Labels, created: n.created,
			fields: map[string]string{"spec.unschedulable": map[bool]string{true: "true", false: "false"}[n.unschedulable]}}
		o.doc = toDoc(j)
		out = append(out, o)
	}
	return out
}

// leaseObjects are the kubelets' node leases in kube-node-lease, renewed
// while the kubelet runs.
func (c *Cluster) leaseObjects() []object {
	var out []object
	for _, n := range c.nodeList() {
		o := object{namespace: "kube-node-lease", name: n.Name, created: n.created}
		md := meta(o, c.spec.Name, "lease", n.Name)
		md["ownerReferences"] = []ownerRef{{APIVersion: "v1", Kind: "Node", Name: n.Name, UID: uid(c.spec.Name, n.Name)}}
		spec := map[string]any{"holderIdentity": n.Name, "leaseDurationSeconds": 40}
		if !n.KubeletSince.IsZero() {
			spec["renewTime"] = c.env.Now().UTC().Format("2006-01-02T15:04:05.000000Z")
		}
		o.doc = map[string]any{"metadata": md, "spec": spec}
		out = append(out, o)
	}
	return out
}

// serviceObjects are the two services of a fresh cluster: the API server's
// own and CoreDNS's, which cluster-info finds by its cluster-service label.
func (c *Cluster) serviceObjects() []object {
	mk := func(ns, name, ip string, labels map[string]string, ports []map[string]any, sel map[string]string) object {
		o := object{namespace: ns, name: name, labels: labels, created: c.Bootstrapped()}
		spec := map[string]any{"type": "ClusterIP", "clusterIP": ip, "clusterIPs": []string{ip}, "ports": ports,
			"sessionAffinity": "None", "ipFamilies": []string{"IPv4"}, "ipFamilyPolicy": "SingleStack"}
		if sel != nil {
			spec["selector"] = sel
		}
		o.doc = map[string]any{"metadata": meta(o, c.spec.Name, "service", ns, name), "spec": spec,
			"status": map[string]any{"loadBalancer": map[string]any{}}}
		return o
	}
	port := func(name, proto string, p int) map[string]any {
		return map[string]any{"name": name, "protocol": proto, "port": p, "targetPort": p}
	}
	return []object{
		mk("default", "kubernetes", "10.96.0.1", map[string]string{"component": "apiserver", "provider": "kubernetes"},
			[]map[string]any{{"name": "https", "protocol": "TCP", "port": 443, "targetPort": 6443}}, nil),
		mk("kube-system", "kube-dns", "10.96.0.10",
			map[string]string{"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"},
			[]map[string]any{port("dns", "UDP", 53), port("dns-tcp", "TCP", 53), port("metrics", "TCP", 9153)},
			map[string]string{"k8s-app": "kube-dns"}),
	}
}
