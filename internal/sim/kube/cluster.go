package kube

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// Spec is what a cluster's API server is built from: the values a control
// plane's machine config carries.
type Spec struct {
	Name     string // cluster name (cluster.clusterName)
	Endpoint string // host:port of cluster.controlPlane.endpoint, as clients dial it
	CACert   []byte // PEM of the Kubernetes CA (cluster.ca.crt)
	CAKey    []byte // PEM of its key (cluster.ca.key); signs the serving certificate
	Version  string // Kubernetes version, "v1.36.3", from the kubelet image tag
	// EtcdHealthy reports whether the cluster's etcd has quorum. It is a probe
	// rather than a pushed flag because quorum changes inside etcd, not on any
	// call the owner makes. Nil means etcd is never healthy.
	EtcdHealthy func() bool
	// Storage is the cluster's etcd, where every object lives.
	Storage Storage
}

// Node is a machine whose kubelet registers with the API server.
type Node struct {
	Name         string            // metadata.name: the node's hostname
	InternalIP   string            // status.addresses InternalIP
	ControlPlane bool              // adds the control-plane role label and taint
	Labels       map[string]string // machine.nodeLabels
	CPUs         int               // capacity.cpu
	MemoryBytes  int64             // capacity.memory
	OSImage      string            // nodeInfo.osImage, "Talos (v1.13.9)"; "Linux" if empty
	// KubeletSince is when the kubelet last started; zero while it is not
	// running (node off, rebooting). Ready needs OpNodeReady after it.
	KubeletSince time.Time
}

// Cluster is one simulated API server. Build it with Start.
type Cluster struct {
	env  *simcore.Env
	spec Spec
	ca   *x509.CertPool

	mu           sync.Mutex
	bootstrapped time.Time
	nodes        map[string]*registered
	// deleted is when each node deleted through the API last had its
	// kubelet started: only a later start registers it again.
	deleted map[string]time.Time
	pods    map[string]Pod // namespace/name -> pod placed by SetPod
	state   *store         // resourceVersions and the history watches replay
	srv     *http.Server
	done    chan struct{}
}

// registered is a Node plus what the API server keeps about it.
type registered struct {
	Node
	created       time.Time
	unschedulable bool // spec.unschedulable (cordoned)
}

// Start opens the cluster's endpoint (env.Listen on spec.Endpoint) and
// serves the API on it until Close.
func Start(env *simcore.Env, spec Spec) (*Cluster, error) {
	if spec.Endpoint == "" || spec.Name == "" {
		return nil, errors.New("kube: a cluster needs a name and an endpoint")
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(spec.CACert) {
		return nil, fmt.Errorf("kube: cluster %s: no certificate in the Kubernetes CA", spec.Name)
	}
	cert, err := servingCert(spec)
	if err != nil {
		return nil, err
	}
	c := &Cluster{env: env, spec: spec, ca: pool, nodes: map[string]*registered{}, deleted: map[string]time.Time{},
		pods: map[string]Pod{}, state: newStore(), done: make(chan struct{})}
	ln, err := env.Listen(spec.Endpoint, "", "kube")
	if err != nil {
		return nil, err
	}
	c.srv = &http.Server{
		Handler:           c.router(),
		ReadHeaderTimeout: 30 * time.Second,
		TLSConfig: &tls.Config{
			MinVersion:   tls.VersionTLS12,
			Certificates: []tls.Certificate{cert},
			// Requested, not required: /readyz, /livez, /healthz and /version
			// answer anonymous clients; the certificate is verified (or 401)
			// by authenticate.
			ClientAuth: tls.RequestClientCert,
			ClientCAs:  pool,
		},
	}
	go c.serve(ln)
	return c, nil
}

func (c *Cluster) serve(ln net.Listener) {
	defer close(c.done)
	// ServeTLS returns ErrServerClosed on Close; nothing else is expected.
	_ = c.srv.ServeTLS(ln, "", "")
}

// Endpoint is the host:port the API server answers on.
func (c *Cluster) Endpoint() string { return c.spec.Endpoint }

// Name is the cluster name.
func (c *Cluster) Name() string { return c.spec.Name }

// SetNode registers or updates a node, the way a kubelet's status updates
// do. A node deleted through the API stays deleted until its kubelet starts
// again (a kubelet registers its node when it starts, as the real one does),
// so the node of a stopped or deleted VM never comes back.
func (c *Cluster) SetNode(n Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.nodes[n.Name]
	if r == nil {
		if at, gone := c.deleted[n.Name]; gone && !n.KubeletSince.After(at) {
			return
		}
		delete(c.deleted, n.Name)
		r = &registered{created: c.env.Now()}
		c.nodes[n.Name] = r
	}
	r.Node = n
}

// RemoveNode deletes a node object (kubectl delete node).
func (c *Cluster) RemoveNode(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.nodes, name)
}

// SetBootstrapped records when etcd first served after bootstrap: the API
// server becomes ready OpKubeReady later, while etcd stays healthy.
func (c *Cluster) SetBootstrapped(at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bootstrapped.IsZero() || at.Before(c.bootstrapped) {
		c.bootstrapped = at
	}
}

// Bootstrapped returns the bootstrap time, zero if etcd was never bootstrapped.
func (c *Cluster) Bootstrapped() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bootstrapped
}

func (c *Cluster) etcdHealthy() bool {
	return c.spec.EtcdHealthy != nil && c.spec.EtcdHealthy()
}

// started reports whether the API server has finished starting.
func (c *Cluster) started() bool {
	b := c.Bootstrapped()
	return !b.IsZero() && c.env.Done(b, simcore.OpKubeReady, c.spec.Name)
}

// Ready reports what /readyz answers: started and etcd healthy.
func (c *Cluster) Ready() bool { return c.started() && c.etcdHealthy() }

// NodeReady reports the Ready condition of a node: its kubelet is running,
// the API server is ready and OpNodeReady has passed since the kubelet started.
func (c *Cluster) NodeReady(name string) bool {
	c.mu.Lock()
	r := c.nodes[name]
	c.mu.Unlock()
	return r != nil && c.nodeReady(r.Node)
}

func (c *Cluster) nodeReady(n Node) bool {
	return !n.KubeletSince.IsZero() && c.Ready() && c.env.Done(n.KubeletSince, simcore.OpNodeReady, n.Name)
}

// State is the inspection view of a cluster.
type State struct {
	Name         string      `json:"name"`
	Endpoint     string      `json:"endpoint"`
	Version      string      `json:"version"`
	Bootstrapped time.Time   `json:"bootstrapped,omitzero"`
	EtcdHealthy  bool        `json:"etcd_healthy"`
	Ready        bool        `json:"ready"`
	Nodes        []NodeState `json:"nodes"`
}

// NodeState is one node in State.
type NodeState struct {
	Name          string `json:"name"`
	InternalIP    string `json:"internal_ip"`
	Ready         bool   `json:"ready"`
	Unschedulable bool   `json:"unschedulable,omitempty"`
}

// State returns the cluster's inspection view, nodes sorted by name.
func (c *Cluster) State() State {
	st := State{Name: c.spec.Name, Endpoint: c.spec.Endpoint, Version: c.spec.Version,
		Bootstrapped: c.Bootstrapped(), EtcdHealthy: c.etcdHealthy(), Ready: c.Ready()}
	for _, n := range c.nodeList() {
		st.Nodes = append(st.Nodes, NodeState{Name: n.Name, InternalIP: n.InternalIP, Ready: c.nodeReady(n.Node), Unschedulable: n.unschedulable})
	}
	return st
}

func (c *Cluster) nodeList() []registered {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]registered, 0, len(c.nodes))
	for _, r := range c.nodes {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Close stops serving and releases the endpoint.
func (c *Cluster) Close() {
	c.env.Net.Close(c.spec.Endpoint)
	_ = c.srv.Close()
	<-c.done
}
