package talos

import (
	"crypto/tls"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/version"

	"github.com/tripod-dev/tripod/internal/sim/kube"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// cluster is what the nodes of one Talos cluster (same cluster id and
// secret) share: the Kubernetes API server and the etcd join lock.
type cluster struct {
	key  string
	kube *kube.Cluster
	// joinMu serialises joins: etcd allows one learner at a time.
	joinMu sync.Mutex
	// bootstrapped is when etcd first served (zero before bootstrap); kept
	// here as well so that a reloaded world tells a new API server.
	bootstrapped time.Time
}

func (c *cluster) close() {
	if c.kube != nil {
		c.kube.Close()
	}
}

// clusterFor returns the cluster of key and its API server (nil until one
// is up), creating the cluster, and starting the API server once a control
// plane's config (which holds the Kubernetes CA key) is known.
func (ns *Nodes) clusterFor(f facts) (*cluster, *kube.Cluster) {
	if f.clusterKey == "" {
		return nil, nil
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	c := ns.clusters[f.clusterKey]
	if c == nil {
		c = &cluster{key: f.clusterKey}
		ns.clusters[f.clusterKey] = c
	}
	if c.kube == nil && f.controlPlane() && f.k8sCA != nil && len(f.k8sCA.Key) > 0 && f.endpoint != "" && !ns.closed {
		kc, err := kube.Start(ns.env, kube.Spec{
			Name: f.clusterName, Endpoint: f.endpoint, CACert: f.k8sCA.Crt, CAKey: f.k8sCA.Key,
			Version: f.k8sVersion, EtcdHealthy: func() bool { return ns.etcdHealthy(f.clusterKey) },
			Storage: kubeStorage{ns: ns, key: f.clusterKey},
		})
		if err != nil {
			ns.env.Log.Error(simcore.APIKube, "protocol", fmt.Sprintf("cluster %s: %v", f.clusterName, err))
		} else {
			c.kube = kc
			if !c.bootstrapped.IsZero() {
				kc.SetBootstrapped(c.bootstrapped)
			}
		}
	}
	return c, c.kube
}

// members returns the nodes of a cluster with etcd running.
func (ns *Nodes) members(key string) []*member {
	var out []*member
	for _, n := range ns.all() {
		n.mu.Lock()
		if n.f.clusterKey == key && n.member != nil && n.member.running() {
			out = append(out, n.member)
		}
		n.mu.Unlock()
	}
	return out
}

// etcdHealthy reports quorum: some running member follows a leader that is
// itself running. A lone survivor of three loses its leader after an
// election timeout, as real etcd's check-quorum makes it.
func (ns *Nodes) etcdHealthy(key string) bool {
	ms := ns.members(key)
	running := map[uint64]bool{}
	for _, m := range ms {
		running[m.id] = true
	}
	for _, m := range ms {
		if l := m.leader(); l != 0 && running[l] {
			return true
		}
	}
	return false
}

// clusterHasData reports whether any node of the cluster other than skip
// holds etcd data or has a bootstrap under way.
func (ns *Nodes) clusterHasData(key string, skip *node) bool {
	for _, n := range ns.all() {
		if n == skip {
			continue
		}
		n.mu.Lock()
		has := n.f.clusterKey == key && (n.bootstrap != nil || (n.etcd != nil && hasData(ns.memberDir(n.etcd))))
		n.mu.Unlock()
		if has {
			return true
		}
	}
	return false
}

// issueAPICert signs apid's certificate. A control plane signs with its own
// machine CA key. A worker's config has only the CA certificate, so, as
// trustd does, a configured control plane of the same cluster with the
// same CA and machine token signs it; until one is up the worker waits.
func (ns *Nodes) issueAPICert(f facts, ip string) (tls.Certificate, error) {
	if f.osCA == nil {
		return tls.Certificate{}, errors.New("no machine CA")
	}
	if len(f.osCA.Key) > 0 {
		return apidCert(f.osCA, f, ip)
	}
	for _, n := range ns.all() {
		n.mu.Lock()
		nf, up := n.f, n.mode == ModeConfigured && ns.env.Reachable(simcore.OnVLAN, n.spotLocked())
		n.mu.Unlock()
		if up && nf.controlPlane() && sameCA(nf, f) && nf.token == f.token && len(nf.osCA.Key) > 0 {
			return apidCert(nf.osCA, f, ip)
		}
	}
	return tls.Certificate{}, errors.New("no trustd available to sign the apid certificate")
}

// syncKube tells the cluster's API server about this node's kubelet.
func (n *node) syncKube() {
	n.mu.Lock()
	f, since, vm := n.f, n.kubeletSince, n.vm
	n.mu.Unlock()
	if f.clusterKey == "" || f.hostname == "" {
		return
	}
	_, kc := n.ns.clusterFor(f)
	if kc == nil {
		return
	}
	kc.SetNode(kube.Node{
		Name: f.hostname, InternalIP: n.ip, ControlPlane: f.controlPlane(), Labels: f.labels,
		CPUs: vm.Cores, MemoryBytes: int64(vm.MemoryMiB) << 20, OSImage: "Talos (" + version.Tag + ")",
		KubeletSince: since,
	})
}

// kubeClusters lists the API servers started so far, sorted by endpoint.
func (ns *Nodes) kubeClusters() []*kube.Cluster {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	var out []*kube.Cluster
	for _, c := range ns.clusters {
		if c.kube != nil {
			out = append(out, c.kube)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Endpoint() < out[j].Endpoint() })
	return out
}

// KubeCluster returns the simulated API server answering on endpoint
// (host:port), or nil.
func (ns *Nodes) KubeCluster(endpoint string) *kube.Cluster {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	for _, c := range ns.clusters {
		if c.kube != nil && c.kube.Endpoint() == endpoint {
			return c.kube
		}
	}
	return nil
}

// markBootstrapped records when etcd first served and tells the API server.
func (ns *Nodes) markBootstrapped(key string, at time.Time) {
	ns.mu.Lock()
	c := ns.clusters[key]
	var kc *kube.Cluster
	if c != nil {
		if c.bootstrapped.IsZero() {
			c.bootstrapped = at
		}
		kc = c.kube
	}
	ns.mu.Unlock()
	if kc != nil {
		kc.SetBootstrapped(at)
	}
}
