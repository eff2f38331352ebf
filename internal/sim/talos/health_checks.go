package talos

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"time"

	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/hashicorp/go-multierror"
	machineapi "github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/client"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	"github.com/siderolabs/talos/pkg/machinery/resources/block"
	"github.com/siderolabs/talos/pkg/machinery/resources/runtime"
)

// errSkip is conditions.ErrSkipAssertion: a check that does not apply.
var errSkip = errors.New("SKIP")

// check is one of Talos's cluster checks: its name as talosctl prints it,
// its own timeout (before scaling) and its assertion.
type check struct {
	name    string
	timeout time.Duration
	assert  func(r *checkRun, ctx context.Context) error
}

// defaultChecks is check.DefaultClusterChecks of Talos v1.13, in its order.
func defaultChecks() []check {
	const m5 = 5 * time.Minute
	return []check{
		{"etcd to be healthy", m5, func(r *checkRun, ctx context.Context) error { return r.serviceHealthy(ctx, "etcd", r.cp) }},
		{"etcd members to be consistent across nodes", m5, (*checkRun).etcdConsistent},
		{"etcd members to be control plane nodes", m5, (*checkRun).etcdControlPlane},
		{"apid to be ready", m5, func(r *checkRun, ctx context.Context) error {
			_, err := r.cli.Version(client.WithNodes(ctx, r.nodes()...))
			return err
		}},
		{"all nodes memory sizes", m5, (*checkRun).memorySizes},
		{"all nodes disk sizes", m5, (*checkRun).diskSizes},
		{"no diagnostics", time.Minute, (*checkRun).noDiagnostics},
		{"kubelet to be healthy", m5, func(r *checkRun, ctx context.Context) error { return r.serviceHealthy(ctx, "kubelet", r.cp) }},
		{"all nodes to finish boot sequence", m5, (*checkRun).booted},
		{"all k8s nodes to report", m5, (*checkRun).k8sReported},
		{"all control plane static pods to be running", m5, (*checkRun).staticPods},
		{"all control plane components to be ready", m5, (*checkRun).k8sControlPlane},
		{"all k8s nodes to report ready", 10 * time.Minute, (*checkRun).k8sReady},
		{"kube-proxy to report ready", m5, func(r *checkRun, ctx context.Context) error { return r.podsReady("kube-proxy") }},
		{"coredns to report ready", m5, func(r *checkRun, ctx context.Context) error { return r.podsReady("coredns") }},
		{"all k8s nodes to report schedulable", m5, (*checkRun).schedulable},
	}
}

// serviceHealthy is ServiceHealthAssertion: the service's last event is
// Running and it is healthy on every node asked.
func (r *checkRun) serviceHealthy(ctx context.Context, service string, nodes []string) error {
	infos, err := r.cli.ServiceInfo(client.WithNodes(ctx, nodes...), service)
	if err != nil {
		return err
	}
	if len(infos) != len(nodes) {
		return fmt.Errorf("expected a response with %d node(s), got %d", len(nodes), len(infos))
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].Metadata.GetHostname() < infos[j].Metadata.GetHostname() })
	var errs *multierror.Error
	for _, si := range infos {
		node, events := si.Metadata.GetHostname(), si.Service.GetEvents().GetEvents()
		if len(events) == 0 {
			errs = multierror.Append(errs, fmt.Errorf("%s: no events recorded yet for service %q", node, service))
			continue
		}
		last := events[len(events)-1]
		if last.State != "Running" {
			errs = multierror.Append(errs, fmt.Errorf("%s: service %q not in expected state %q: current state [%s] %s", node, service, "Running", last.State, last.Msg))
			continue
		}
		if !si.Service.GetHealth().GetHealthy() {
			errs = multierror.Append(errs, fmt.Errorf("%s: service is not healthy: %s", node, service))
		}
	}
	return errs.ErrorOrNil()
}

// etcdConsistent is EtcdConsistentAssertion: every control plane lists
// the same members.
func (r *checkRun) etcdConsistent(ctx context.Context) error {
	resp, err := r.cli.EtcdMemberList(client.WithNodes(ctx, r.cp...), &machineapi.EtcdMemberListRequest{})
	if err != nil {
		return err
	}
	msgs := resp.GetMessages()
	if len(msgs) == 0 {
		return errors.New("no messages returned")
	}
	sort.Slice(msgs, func(i, j int) bool { return msgs[i].GetMetadata().GetHostname() < msgs[j].GetMetadata().GetHostname() })
	type member struct {
		host    string
		id      uint64
		learner bool
	}
	known := map[member]bool{}
	for _, m := range msgs[0].Members {
		known[member{m.Hostname, m.Id, m.IsLearner}] = true
	}
	for _, msg := range msgs[1:] {
		node := msg.GetMetadata().GetHostname()
		if len(msg.Members) != len(known) {
			var want, got []string
			for k := range known {
				want = append(want, k.host)
			}
			for _, m := range msg.Members {
				got = append(got, m.Hostname)
			}
			return fmt.Errorf("%s: expected to have %v members, got %v", node, want, got)
		}
		for _, m := range msg.Members {
			if !known[member{m.Hostname, m.Id, m.IsLearner}] {
				return fmt.Errorf("%s: found unexpected etcd member %s", node, m.Hostname)
			}
		}
	}
	return nil
}

// etcdControlPlane is EtcdControlPlaneNodesAssertion: every member's peer
// address is a control plane's.
func (r *checkRun) etcdControlPlane(ctx context.Context) error {
	resp, err := r.cli.EtcdMemberList(ctx, &machineapi.EtcdMemberListRequest{})
	if err != nil {
		return err
	}
	var ips []string
	for _, m := range resp.GetMessages()[0].GetMembers() {
		for _, p := range m.GetPeerUrls() {
			u, err := url.Parse(p)
			if err != nil {
				return err
			}
			ips = append(ips, u.Hostname())
		}
	}
	for _, ip := range ips {
		if !slices.Contains(r.cp, ip) {
			return fmt.Errorf("etcd member ips %q are not subset of control plane node ips %q", ips, r.cp)
		}
	}
	return nil
}

// memorySizes is AllNodesMemorySizes with pkg/minimal's minimums.
func (r *checkRun) memorySizes(ctx context.Context) error {
	ver, err := r.cli.Version(client.WithNodes(ctx, r.nodes()...))
	if err != nil {
		return fmt.Errorf("error getting version: %w", err)
	}
	var ips []string
	for _, m := range ver.Messages {
		if m.Platform.GetMode() != "container" {
			ips = append(ips, m.GetMetadata().GetHostname())
		}
	}
	if len(ips) == 0 {
		return nil
	}
	mem, err := r.cli.Memory(client.WithNodes(ctx, ips...))
	if err != nil {
		return fmt.Errorf("error getting nodes memory: %w", err)
	}
	var errs error
	for _, m := range mem.Messages {
		host := m.GetMetadata().GetHostname()
		minimum := uint64(1<<30 - 150<<20) // a worker's
		if slices.Contains(r.cp, host) {
			minimum = 1848<<20 - 150<<20
		} else if !slices.Contains(r.worker, host) {
			return fmt.Errorf("unexpected node %q in response", host)
		}
		if total := m.Meminfo.Memtotal * 1024; total < minimum {
			errs = multierror.Append(errs, fmt.Errorf("node %q does not meet memory requirements: expected at least %d MiB, actual %d MiB",
				host, minimum>>20, total>>20))
		}
	}
	return errs
}

// diskSizes is AllNodesDiskSizes: each node's EPHEMERAL volume at least
// pkg/minimal's 6 GiB less 1400 MiB.
func (r *checkRun) diskSizes(ctx context.Context) error {
	ips := r.nodes()
	slices.Sort(ips)
	var errs error
	const minimal = 6<<30 - 1400<<20
	for _, ip := range ips {
		vs, err := safe.StateGetByID[*block.VolumeStatus](client.WithNode(ctx, ip), r.cli.COSI, constants.EphemeralPartitionLabel)
		if err != nil {
			errs = multierror.Append(errs, fmt.Errorf("error getting volume status for node %q: %w", ip, err))
			continue
		}
		if size := vs.TypedSpec().Size; size < minimal {
			errs = multierror.Append(errs, fmt.Errorf("ephemeral partition %q for node %q is too small, expected at least %s, actual %s",
				vs.TypedSpec().Location, ip, ibytes(minimal), ibytes(size)))
		}
	}
	return errs
}

// noDiagnostics is NoDiagnostics: no node reports a diagnostic.
func (r *checkRun) noDiagnostics(ctx context.Context) error {
	var with []string
	for _, ip := range r.nodes() {
		list, err := safe.StateListAll[*runtime.Diagnostic](client.WithNode(ctx, ip), r.cli.COSI)
		if err != nil {
			return err
		}
		if list.Len() > 0 {
			with = append(with, ip)
		}
	}
	if len(with) == 0 {
		return nil
	}
	slices.Sort(with)
	return fmt.Errorf("active diagnostics: %v", with)
}

// booted is AllNodesBootedAssertion: every node's MachineStatus stage is
// running (Talos watches it; the current value decides the same).
func (r *checkRun) booted(ctx context.Context) error {
	byStage := map[runtime.MachineStage][]string{}
	for _, ip := range r.nodes() {
		ms, err := safe.StateGetByID[*runtime.MachineStatus](client.WithNode(ctx, ip), r.cli.COSI, runtime.MachineStatusID)
		if err != nil {
			return err
		}
		if s := ms.TypedSpec().Stage; s != runtime.MachineStageRunning {
			byStage[s] = append(byStage[s], ip)
		}
	}
	if len(byStage) == 0 {
		return nil
	}
	var stages []runtime.MachineStage
	for s := range byStage {
		stages = append(stages, s)
	}
	slices.Sort(stages)
	msg := ""
	for i, s := range stages {
		ips := byStage[s]
		slices.Sort(ips)
		if i > 0 {
			msg += ", "
		}
		msg += fmt.Sprintf("%s: %v", s, ips)
	}
	return fmt.Errorf("nodes are not running: %s", msg)
}

// ibytes is humanize.IBytes.
func ibytes(b uint64) string {
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%d B", b)
	}
	div, exp := uint64(unit), 0
	for n := b / unit; n >= unit; n /= unit {
		div *= unit
		exp++
	}
	v := float64(b) / float64(div)
	f := "%.1f %ciB"
	if v >= 10 {
		f = "%.0f %ciB"
	}
	return fmt.Sprintf(f, v, "KMGTPE"[exp])
}
