// Package kube simulates the part of a Kubernetes API server that cluster
// health checks use: /readyz, /livez and /healthz with the real failed-check
// listing, /version, and nodes as NodeList and Node JSON; and what removing a
// node takes: cordon (PATCH spec.unschedulable), the node's pods (its
// DaemonSets' and any placed with SetPod) with eviction, and DELETE of the
// node, which its kubelet does not undo until it restarts. One Cluster answers
// on a cluster's control-plane endpoint over HTTPS with a certificate from the
// cluster's own Kubernetes CA and requires client certificates from that CA,
// as a kubeconfig from Talos carries. It knows nothing of Talos: whoever owns
// the cluster tells it which nodes run a kubelet (SetNode), when etcd was
// bootstrapped (SetBootstrapped) and, through a probe, whether etcd has
// quorum; readiness follows from those and the latency profile.
package kube
