package talos

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	clusterapi "github.com/siderolabs/talos/pkg/machinery/api/cluster"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/client"
	mtype "github.com/siderolabs/talos/pkg/machinery/config/machine"
	"google.golang.org/grpc/codes"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// healthNodes is a small cluster over three datacenters: a control plane
// in each and a worker in DC3.
var healthNodes = []struct{ name, ip, zone string }{
	{"cp-1", "10.20.0.11", "DC1"}, {"cp-2", "10.20.0.12", "DC2"}, {"cp-3", "10.20.0.13", "DC3"}, {"w-1", "10.20.0.21", "DC3"},
}

// healthCluster brings the cluster up to every node Ready in Kubernetes.
func healthCluster(t *testing.T) *harness {
	h := newHarness(t, simcore.Instant, 0.0005, []string{"10.20.0.11", "10.20.0.12", "10.20.0.13"})
	ctx := testCtx(t)
	for i, n := range healthNodes {
		h.ns.Boot(vm(100+i, n.name, n.ip, n.zone))
	}
	for _, n := range healthNodes {
		if err := h.ns.AwaitMode(ctx, n.ip, ModeMaintenance); err != nil {
			t.Fatal(err)
		}
		typ := mtype.TypeControlPlane
		if strings.HasPrefix(n.name, "w-") {
			typ = mtype.TypeWorker
		}
		apply(t, h, n.ip, h.config(typ, n.name, n.ip, n.zone))
	}
	for _, n := range healthNodes {
		if err := h.ns.AwaitMode(ctx, n.ip, ModeConfigured); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.secure("10.20.0.11").Bootstrap(ctx, &machine.BootstrapRequest{}); err != nil {
		t.Fatal(err)
	}
	if err := h.ns.AwaitEtcdMembers(ctx, 3); err != nil {
		t.Fatal(err)
	}
	err := await(ctx, "four Ready Kubernetes nodes", func() bool {
		kc := h.ns.KubeCluster(endpoint)
		if kc == nil {
			return false
		}
		ready := 0
		for _, n := range kc.State().Nodes {
			if n.Ready {
				ready++
			}
		}
		return ready == len(healthNodes)
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// healthCheck is talosctl health's default (server-side) mode: the
// progress messages, and the error the stream ends with (nil at EOF).
func healthCheck(t *testing.T, c *client.Client, wait time.Duration, info *clusterapi.ClusterInfo) ([]string, error) {
	t.Helper()
	stream, err := c.ClusterHealthCheck(testCtx(t), wait, info)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return msgs, nil
		}
		if err != nil {
			return msgs, err
		}
		if e := msg.GetMetadata().GetError(); e != "" {
			return msgs, fmt.Errorf("healthcheck error: %s", e)
		}
		msgs = append(msgs, msg.GetMessage())
	}
}

// TestHealthCheck runs talosctl health's server-side check as a reader:
// on a healthy cluster every one of Talos's checks passes in order, with
// the nodes discovered from Kubernetes; with the worker powered off apid's
// check fails with the proxy's error for it; with a datacenter dark the
// first check (etcd) times out on its control plane.
func TestHealthCheck(t *testing.T) {
	noLeaks(t)
	h := healthCluster(t)
	c := h.readerClient("10.20.0.11")

	msgs, err := healthCheck(t, c, time.Minute, &clusterapi.ClusterInfo{})
	if err != nil {
		t.Fatalf("healthy cluster: %v\n%s", err, strings.Join(msgs, "\n"))
	}
	want := `discovered nodes: control plane: ["10.20.0.11" "10.20.0.12" "10.20.0.13"], worker: ["10.20.0.21"]`
	if len(msgs) == 0 || msgs[0] != want {
		t.Fatalf("first message %q, want %q", msgs, want)
	}
	var oks []string
	for _, m := range msgs {
		if name, ok := strings.CutSuffix(m, ": OK"); ok {
			oks = append(oks, strings.TrimPrefix(name, "waiting for "))
		}
	}
	var names []string
	for _, c := range defaultChecks() {
		names = append(names, c.name)
	}
	if strings.Join(oks, "|") != strings.Join(names, "|") || len(names) != 16 {
		t.Fatalf("checks passed %q, want %q", oks, names)
	}

	t.Run("node down", func(t *testing.T) {
		h.ns.PowerOff("10.20.0.21/24")
		info := &clusterapi.ClusterInfo{ControlPlaneNodes: []string{"10.20.0.11", "10.20.0.12", "10.20.0.13"}, WorkerNodes: []string{"10.20.0.21"}}
		msgs, err := healthCheck(t, c, time.Minute, info)
		if code(err) != codes.DeadlineExceeded {
			t.Fatalf("with a node down: %v\n%s", err, strings.Join(msgs, "\n"))
		}
		last := msgs[len(msgs)-1]
		if !strings.HasPrefix(last, "waiting for apid to be ready: 1 error occurred:") ||
			!strings.Contains(last, `10.20.0.21: rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp 10.20.0.21:50000: connect: no route to host"`) {
			t.Fatalf("last message %q", last)
		}
		if !strings.Contains(strings.Join(msgs, "\n"), "waiting for etcd members to be control plane nodes: OK") {
			t.Fatalf("the checks before apid's did not pass:\n%s", strings.Join(msgs, "\n"))
		}
	})

	t.Run("dark datacenter", func(t *testing.T) {
		h.env.Faults.SetDark("DC2", true)
		defer h.env.Faults.SetDark("DC2", false)
		info := &clusterapi.ClusterInfo{ControlPlaneNodes: []string{"10.20.0.11", "10.20.0.12", "10.20.0.13"}}
		msgs, err := healthCheck(t, c, time.Minute, info)
		if code(err) != codes.DeadlineExceeded {
			t.Fatalf("with DC2 dark: %v\n%s", err, strings.Join(msgs, "\n"))
		}
		// apid waits on the dark node's dial while the attempt's own
		// deadline (the poll interval) runs out first, so the whole call
		// fails, as it does against real nodes.
		last := msgs[len(msgs)-1]
		if !strings.HasPrefix(last, "waiting for etcd to be healthy: rpc error: code = DeadlineExceeded desc = ") {
			t.Fatalf("last message %q", last)
		}
	})
}
