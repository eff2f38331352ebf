package talos

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	clusterapi "github.com/siderolabs/talos/pkg/machinery/api/cluster"
	"github.com/siderolabs/talos/pkg/machinery/client"
)

// clusterAPI is machined's ClusterService: the server side of talosctl
// health (its default mode). Like machined it runs Talos's cluster checks
// (pkg/cluster/check) through a client of the node's own apid, so what it
// sees of other nodes is what apid's proxy sees, and reads Kubernetes
// through the cluster's API server.
type clusterAPI struct {
	clusterapi.UnimplementedClusterServiceServer
	n *node
}

func init() {
	modelled["/cluster.ClusterService/HealthCheck"] = true
	sd := clusterapi.ClusterService_ServiceDesc
	for _, s := range sd.Streams {
		streamMethods["/"+sd.ServiceName+"/"+s.StreamName] = s
	}
}

// checkRun is what one HealthCheck's checks work with: machined's view of
// the cluster (the nodes asked about, or discovered) and its clients.
type checkRun struct {
	n          *node
	cli        *client.Client
	cp, worker []string // node IPs
	endpoint   string   // the Kubernetes API endpoint (host:port) the checks use
	interval   time.Duration
}

// HealthCheck runs the default cluster checks one after the other, each
// until it passes or its own timeout ends, the whole within the request's
// wait timeout; every change of a check's state is one progress message,
// as machined's reporter sends them.
func (a *clusterAPI) HealthCheck(req *clusterapi.HealthCheckRequest, srv clusterapi.ClusterService_HealthCheckServer) error {
	ctx, cancel := context.WithTimeout(srv.Context(), req.GetWaitTimeout().AsDuration())
	defer cancel()
	cli, closeCli, err := a.n.localClient(rolesFrom(srv.Context()))
	if err != nil {
		return err
	}
	defer closeCli()
	run := &checkRun{n: a.n, cli: cli, cp: req.GetClusterInfo().GetControlPlaneNodes(),
		worker: req.GetClusterInfo().GetWorkerNodes(), interval: a.n.ns.checkInterval()}
	run.endpoint = a.n.kubeEndpoint(req.GetClusterInfo().GetForceEndpoint())
	if len(run.cp) == 0 && len(run.worker) == 0 {
		if err := run.discover(); err != nil {
			return fmt.Errorf("error discovering nodes: %w", err)
		}
	}
	if err := srv.Send(&clusterapi.HealthCheckProgress{Message: "discovered nodes: " + run.String()}); err != nil {
		return err
	}
	for _, c := range defaultChecks() {
		if err := run.wait(ctx, c, srv); err != nil {
			return err
		}
	}
	return nil
}

func (r *checkRun) String() string {
	return fmt.Sprintf("control plane: %q, worker: %q", r.cp, r.worker)
}

func (r *checkRun) nodes() []string { return append(append([]string(nil), r.cp...), r.worker...) }

// wait is one polling condition: the assertion every interval until it
// passes (or skips), within the check's timeout. A changed state is
// reported as "waiting for <check>: <state>", the last one included.
func (r *checkRun) wait(ctx context.Context, c check, srv clusterapi.ClusterService_HealthCheckServer) error {
	timeout, cancel := context.WithTimeout(ctx, r.n.ns.checkTimeout(c.timeout))
	defer cancel()
	last := ""
	report := func(state string) error {
		line := strings.TrimSpace(fmt.Sprintf("waiting for %s: %s", c.name, state))
		if line == last {
			return nil
		}
		last = line
		return srv.Send(&clusterapi.HealthCheckProgress{Message: line})
	}
	if err := report("..."); err != nil {
		return err
	}
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		attempt, stop := context.WithTimeout(ctx, r.interval)
		err := c.assert(r, attempt)
		stop()
		state := "OK"
		if err != nil {
			state = err.Error()
		}
		if rerr := report(state); rerr != nil {
			return rerr
		}
		if err == nil || err == errSkip {
			return nil
		}
		select {
		case <-timeout.Done():
			return timeout.Err()
		case <-t.C:
		}
	}
}

// checkInterval is a check's poll interval, 5 s on a node, scaled with the
// simulator's clock so a check polls as often relative to it. It is also
// each attempt's deadline, as on Talos, so it is at least 200 ms: an etcd
// member list through the embedded etcd on a loaded machine must not time
// out a healthy cluster's check.
func (ns *Nodes) checkInterval() time.Duration {
	return max(time.Duration(float64(5*time.Second)*ns.env.TimeScale), 200*time.Millisecond)
}

// checkTimeout scales a check's own timeout the same way; it allows at
// least twenty attempts.
func (ns *Nodes) checkTimeout(d time.Duration) time.Duration {
	return max(time.Duration(float64(d)*ns.env.TimeScale), 20*ns.checkInterval())
}

// discover is machined's node discovery when talosctl names no nodes: the
// nodes Kubernetes knows, control planes by their role label.
func (r *checkRun) discover() error {
	view, err := r.n.kubeView(r.endpoint)
	if err != nil {
		return err
	}
	for _, kn := range view.nodes {
		if kn.controlPlane {
			r.cp = append(r.cp, kn.ip)
		} else {
			r.worker = append(r.worker, kn.ip)
		}
	}
	sort.Strings(r.cp)
	sort.Strings(r.worker)
	return nil
}

// kubeEndpoint is the API server the checks talk to: the forced endpoint,
// or the kubeconfig's (the cluster's control plane endpoint).
func (n *node) kubeEndpoint(force string) string {
	n.mu.Lock()
	ep := n.f.endpoint
	n.mu.Unlock()
	if force == "" {
		return ep
	}
	port := "6443"
	if i := strings.LastIndex(ep, ":"); i >= 0 {
		port = ep[i+1:]
	}
	if !strings.Contains(force, ":") {
		force += ":" + port
	}
	return force
}
