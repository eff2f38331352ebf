package talos

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/siderolabs/talos/pkg/machinery/client"
	"github.com/siderolabs/talos/pkg/machinery/resources/k8s"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// kubeView is what the checks' Kubernetes client reads from the cluster's
// API server: its nodes and the kube-system pods.
type kubeView struct {
	nodes []kubeNode
	pods  []kubePod
}

type kubeNode struct {
	name, ip      string
	controlPlane  bool // node-role.kubernetes.io/control-plane
	ready         bool
	unschedulable bool
}

type kubePod struct {
	name, app string // app: the k8s-app label (its controller or static pod)
	scheduled bool
	ready     bool
}

// kubeView lists nodes and pods the way a client of the API server at
// endpoint would, failing as that client would while the server is not
// there, still starting, or without etcd.
func (n *node) kubeView(endpoint string) (kubeView, error) {
	n.mu.Lock()
	f := n.f
	n.mu.Unlock()
	_, kc := n.ns.clusterFor(f)
	if kc == nil || endpoint == "" {
		return kubeView{}, fmt.Errorf("Get %q: dial tcp %s: connect: connection refused", "https://"+endpoint+"/api/v1/nodes", endpoint)
	}
	st := kc.State()
	switch {
	case st.Bootstrapped.IsZero() || !n.ns.env.Done(st.Bootstrapped, simcore.OpKubeReady, st.Name):
		return kubeView{}, errors.New("the server is currently unable to handle the request")
	case !st.EtcdHealthy:
		return kubeView{}, errors.New("etcdserver: request timed out")
	}
	cps := map[string]bool{}
	for _, o := range n.ns.all() {
		o.mu.Lock()
		if o.f.clusterKey == f.clusterKey && o.f.controlPlane() {
			cps[o.f.hostname] = true
		}
		o.mu.Unlock()
	}
	var v kubeView
	for _, kn := range st.Nodes {
		v.nodes = append(v.nodes, kubeNode{name: kn.Name, ip: kn.InternalIP, controlPlane: cps[kn.Name], ready: kn.Ready, unschedulable: kn.Unschedulable})
	}
	for _, p := range kc.Pods() {
		if p.Namespace != "kube-system" {
			continue
		}
		app := p.OwnerName
		if p.OwnerKind == "Node" {
			app = strings.TrimSuffix(p.Name, "-"+p.Node)
		} else if strings.HasPrefix(p.Name, "coredns-") {
			app = "coredns"
		}
		v.pods = append(v.pods, kubePod{name: p.Name, app: app, scheduled: p.Node != "", ready: p.Node != "" && kc.NodeReady(p.Node)})
	}
	return v, nil
}

func (r *checkRun) kube() (kubeView, error) { return r.n.kubeView(r.endpoint) }

// k8sReported is K8sAllNodesReportedAssertion: the nodes Kubernetes
// lists are the nodes asked about.
func (r *checkRun) k8sReported(context.Context) error {
	v, err := r.kube()
	if err != nil {
		return err
	}
	want := r.nodes()
	var got []string
	for _, kn := range v.nodes {
		got = append(got, kn.ip)
	}
	return nodesMatch(want, got)
}

func nodesMatch(want, got []string) error {
	sort.Strings(want)
	sort.Strings(got)
	if reflect.DeepEqual(want, got) {
		return nil
	}
	return fmt.Errorf("expected %v nodes, but got %v nodes", want, got)
}

// staticPods is K8sControlPlaneStaticPods, read from each control plane's
// StaticPodStatus resources.
func (r *checkRun) staticPods(ctx context.Context) error {
	for _, ip := range r.cp {
		want := []string{"kube-system/kube-apiserver", "kube-system/kube-controller-manager", "kube-system/kube-scheduler"}
		items, err := safe.StateListAll[*k8s.StaticPodStatus](client.WithNode(ctx, ip), r.cli.COSI)
		if err != nil {
			return fmt.Errorf("error listing static pods on node %s: %w", ip, err)
		}
		for it := items.Iterator(); it.Next(); {
			want = slices.DeleteFunc(want, func(w string) bool { return strings.HasPrefix(it.Value().Metadata().ID(), w) })
		}
		if len(want) > 0 {
			return fmt.Errorf("missing static pods on node %s: %v", ip, want)
		}
	}
	return nil
}

// k8sControlPlane is K8sFullControlPlaneAssertion: the control-plane
// nodes are the control planes asked about, each with its three control
// plane pods ready.
func (r *checkRun) k8sControlPlane(context.Context) error {
	v, err := r.kube()
	if err != nil {
		return err
	}
	var cps []string
	for _, kn := range v.nodes {
		if kn.controlPlane {
			cps = append(cps, kn.ip)
		}
	}
	if err := nodesMatch(append([]string(nil), r.cp...), cps); err != nil {
		return err
	}
	for _, app := range []string{"kube-apiserver", "kube-scheduler", "kube-controller-manager"} {
		var pods, notReady []string
		for _, p := range v.pods {
			if p.app == app {
				pods = append(pods, p.name)
				if !p.ready {
					notReady = append(notReady, p.name)
				}
			}
		}
		if len(pods) != len(cps) {
			return fmt.Errorf("expected number of pods for %s to be %d, got %d", app, len(cps), len(pods))
		}
		if len(notReady) > 0 {
			return fmt.Errorf("some pods are not ready for %s: %v", app, notReady)
		}
	}
	return nil
}

// k8sReady is K8sAllNodesReadyAssertion.
func (r *checkRun) k8sReady(context.Context) error {
	v, err := r.kube()
	if err != nil {
		return err
	}
	var notReady []string
	for _, kn := range v.nodes {
		if !kn.ready {
			notReady = append(notReady, kn.name)
		}
	}
	if len(notReady) == 0 {
		return nil
	}
	return fmt.Errorf("some nodes are not ready: %v", notReady)
}

// schedulable is K8sAllNodesSchedulableAssertion (which names the first
// cordoned node only).
func (r *checkRun) schedulable(context.Context) error {
	v, err := r.kube()
	if err != nil {
		return err
	}
	for _, kn := range v.nodes {
		if kn.unschedulable {
			return fmt.Errorf("some nodes are not schedulable: %v", []string{kn.name})
		}
	}
	return nil
}

// podsReady is the kube-proxy and CoreDNS checks: K8sPodReadyAssertion
// with the replicas its DaemonSet (one per node) or Deployment (two)
// wants. Unscheduled pods have no containers yet, and the check skips them.
func (r *checkRun) podsReady(app string) error {
	v, err := r.kube()
	if err != nil {
		return err
	}
	selector, replicas := "k8s-app=kube-proxy", len(v.nodes)
	if app == "coredns" {
		selector, replicas = "k8s-app=kube-dns", 2
	}
	var found bool
	var ready, notReady []string
	for _, p := range v.pods {
		if p.app != app {
			continue
		}
		found = true
		switch {
		case !p.scheduled:
		case p.ready:
			ready = append(ready, p.name)
		default:
			notReady = append(notReady, p.name)
		}
	}
	switch {
	case !found:
		return fmt.Errorf("no pods found for namespace %q and label selector %q", "kube-system", selector)
	case len(ready) == 0:
		return fmt.Errorf("no ready pods found for namespace %q and label selector %q", "kube-system", selector)
	case len(notReady) > 0:
		return fmt.Errorf("some pods are not ready: %v", notReady)
	case len(ready) != replicas:
		return fmt.Errorf("expected %d ready pods, got %d", replicas, len(ready))
	}
	return nil
}
