// Package kube simulates the part of a Kubernetes API server that cluster
// health checks, tripod's scale-in and an operator's kubectl use: /readyz,
// /livez and /healthz with the real failed-check listing, /version,
// discovery (/api, /apis and the resource lists), nodes, namespaces, the pods
// a Talos cluster runs (static control-plane pods, DaemonSets, CoreDNS, and
// any placed with SetPod), services, node leases, node events and config
// maps, with label and field selectors, limit/continue, resourceVersion,
// watch streams and server-side Tables; and what removing a node takes:
// cordon (PATCH spec.unschedulable), eviction, and DELETE of the node, which
// its kubelet does not undo until it restarts.
//
// One Cluster answers on a cluster's control-plane endpoint over HTTPS with a
// certificate from the cluster's own Kubernetes CA. It requests client
// certificates and verifies them against that CA, as a kubeconfig from Talos
// carries them; anonymous clients get the health and version paths only. It
// knows nothing of Talos: whoever owns the cluster tells it which nodes run a
// kubelet (SetNode), when etcd was bootstrapped (SetBootstrapped) and,
// through a probe, whether etcd has quorum; readiness follows from those and
// the latency profile. The objects are views of that state (config maps
// excepted, kept in memory), not stored in etcd.
package kube
