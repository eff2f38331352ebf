// Package kube simulates the part of a Kubernetes API server that cluster
// health checks, tripod's scale-in and an operator's kubectl use: /readyz,
// /livez and /healthz with the real failed-check listing, /version,
// discovery (/api, /apis and the resource lists), OpenAPI v3 (what kubectl
// apply and explain read; /openapi/v2 is not served), nodes, namespaces, the pods
// a Talos cluster runs (static control-plane pods, DaemonSets, CoreDNS, and
// any placed with SetPod), services, node leases, node events, config maps
// and secrets, with label and field selectors, limit/continue, resourceVersion,
// watch streams and server-side Tables; kubectl apply's PATCH of config
// maps and secrets; and what removing a node takes:
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
// the latency profile.
//
// Every object lives in the cluster's etcd, which the owner hands over as
// a Storage, under /registry/<resource>/[<namespace>/]<name> as
// kube-apiserver lays them out (nodes under "minions", services under
// "services/specs"; values in JSON), so every resourceVersion is an etcd
// revision and losing quorum affects every resource alike. Config maps and
// secrets are what clients write: read from etcd, an object's
// resourceVersion its mod revision, a list's the read's header revision,
// watches relayed from etcd's watch, so a snapshot restore brings back
// exactly what the snapshot held; their resourceVersions start afresh
// after it, because the simulator replays the snapshot's keys into a new
// member where etcdutl keeps the snapshot's revision.
//
// The other objects are computed from the simulation (a kubelet turns
// Ready once its duration has passed, on no call at all). The store writes
// each change to etcd when a read first sees it, which is when a client
// could first have seen a kubelet's write, and serves the writes'
// revisions; its history of changes is what their watches replay. After a
// restore (etcd is another cluster) it writes them all again and a watch
// from before gets 410 Gone.
package kube
