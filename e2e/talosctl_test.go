package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/siderolabs/talos/pkg/machinery/client"
	configres "github.com/siderolabs/talos/pkg/machinery/resources/config"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/simtest"
)

// TestTalosctlAfterUp is what an operator runs with talosctl next to
// tripod after a healthy up, with the talosconfig tripod wrote and the
// machinery client talosctl is built on: talosctl health (server-side),
// the calls talosctl dashboard polls on every node, and talosctl get
// machineconfig.
func TestTalosctlAfterUp(t *testing.T) {
	sim := startSim(t, "--profile", "realistic", "--time-scale", "0.0005", "--seed", "11")
	file := "../inventories/lab.yaml"
	loaded, err := inventory.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if r := tripod(t, sim, "up", "-i", file, "--state-dir", dir); r.code != 0 {
		t.Fatalf("up: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	cfg := simtest.Talosconfig(t, dir)
	d := dialer(t, sim, loaded, dir)
	ctx, cancel := context.WithDeadline(context.Background(), waitDeadline(t))
	defer cancel()
	c, err := client.New(ctx, client.WithConfig(cfg), client.WithGRPCDialOptions(
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) })))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	// talosctl health: its default wait timeout is 20 minutes.
	stream, err := c.ClusterHealthCheck(ctx, 20*time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("talosctl health: %v\n%s", err, strings.Join(msgs, "\n"))
		}
		msgs = append(msgs, msg.GetMessage())
	}
	if oks := strings.Count(strings.Join(msgs, "\n"), ": OK"); oks != 16 || !strings.HasPrefix(msgs[0], "discovered nodes: control plane: [") {
		t.Fatalf("talosctl health passed %d checks:\n%s", oks, strings.Join(msgs, "\n"))
	}

	var nodes []string
	for _, vm := range loaded.Layout.VMs {
		nodes = append(nodes, vm.Address.String())
	}
	all := client.WithNodes(ctx, nodes...)
	ci, err := c.MachineClient.CPUInfo(all, &emptypb.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	mem, err := c.Memory(all)
	if err != nil {
		t.Fatal(err)
	}
	if len(ci.Messages) != len(nodes) || len(mem.Messages) != len(nodes) {
		t.Fatalf("dashboard data from %d and %d nodes, want %d", len(ci.Messages), len(mem.Messages), len(nodes))
	}
	for i, vm := range loaded.Layout.VMs {
		if got := len(ci.Messages[i].CpuInfo); got != vm.Cores {
			t.Errorf("%s reports %d CPUs, its VM has %d cores", vm.Name, got, vm.Cores)
		}
		if got, want := mem.Messages[i].Meminfo.Memtotal, uint64(vm.Memory)/1024*97/100; got != want {
			t.Errorf("%s reports %d kB of memory, want %d for its VM's %d bytes", vm.Name, got, want, int64(vm.Memory))
		}
	}

	var st worldState
	sim.getJSON("/state", &st)
	for _, node := range st.Talos.Nodes {
		mc, err := safe.StateGetByID[*configres.MachineConfig](client.WithNode(ctx, node.Address), c.COSI, configres.ActiveID)
		if err != nil {
			t.Fatalf("talosctl get machineconfig -n %s: %v", node.Address, err)
		}
		b, err := mc.Provider().Bytes()
		sum := sha256.Sum256(b)
		if err != nil || hex.EncodeToString(sum[:]) != node.ConfigSHA256 {
			t.Errorf("machineconfig of %s is not the config it runs (%v)", node.Address, err)
		}
	}
}
