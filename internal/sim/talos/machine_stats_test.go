package talos

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/siderolabs/talos/pkg/machinery/api/common"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/client"
	clientconfig "github.com/siderolabs/talos/pkg/machinery/client/config"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	clusterres "github.com/siderolabs/talos/pkg/machinery/resources/cluster"
	"github.com/siderolabs/talos/pkg/machinery/resources/hardware"
	"github.com/siderolabs/talos/pkg/machinery/resources/network"
	"github.com/siderolabs/talos/pkg/machinery/role"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/emptypb"
)

// roleClient is a talosconfig client whose certificate carries roles.
func (h *harness) roleClient(ip string, roles role.Set) *client.Client {
	h.t.Helper()
	bundle := h.input.Options.SecretsBundle
	crt, err := bundle.GenerateTalosAPIClientCertificate(roles)
	if err != nil {
		h.t.Fatal(err)
	}
	c, err := client.New(context.Background(), client.WithConfig(clientconfig.NewConfig("r", []string{ip}, bundle.Certs.OS.Crt, crt)),
		client.WithGRPCDialOptions(grpc.WithContextDialer(h.dial)))
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { c.Close() })
	return c
}

// readData reads a Logs or Dmesg stream as talosctl does, to its end.
func readData(t *testing.T, stream interface{ Recv() (*common.Data, error) }) (string, error) {
	t.Helper()
	var b strings.Builder
	for {
		d, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return b.String(), nil
		}
		if err != nil {
			return b.String(), err
		}
		b.Write(d.Bytes)
	}
}

// TestDashboardAndLogs makes the calls talosctl dashboard polls, and
// talosctl logs, dmesg and ps make, as a reader through the first control
// plane, for it and (with nodes metadata) the worker.
func TestDashboardAndLogs(t *testing.T) {
	noLeaks(t)
	h := healthCluster(t)
	c := h.readerClient("10.20.0.11")
	ctx := testCtx(t)
	cp, w := ctx, client.WithNode(ctx, "10.20.0.21")

	t.Run("dashboard", func(t *testing.T) {
		// The VMs have 4 cores and 8 GiB (harness vm()).
		for _, nctx := range []context.Context{cp, w} {
			ci, err := c.MachineClient.CPUInfo(nctx, &emptypb.Empty{})
			if err != nil || len(ci.Messages[0].CpuInfo) != 4 || ci.Messages[0].CpuInfo[3].ModelName == "" {
				t.Fatalf("CPUInfo = %v, %v", ci, err)
			}
			fs, err := c.MachineClient.CPUFreqStats(nctx, &emptypb.Empty{})
			if err != nil || len(fs.Messages[0].CpuFreqStats) != 4 {
				t.Fatalf("CPUFreqStats = %v, %v", fs, err)
			}
			mem, err := c.Memory(nctx)
			if m := mem.GetMessages()[0].GetMeminfo(); err != nil || m.Memtotal != 8192*1024*97/100 || m.Memfree >= m.Memtotal || m.Memavailable < m.Memfree {
				t.Fatalf("Memory = %v, %v", mem, err)
			}
		}
		la1, err := c.MachineClient.LoadAvg(cp, &emptypb.Empty{})
		if err != nil {
			t.Fatal(err)
		}
		lw, err := c.MachineClient.LoadAvg(w, &emptypb.Empty{})
		if err != nil || la1.Messages[0].Load15 <= lw.Messages[0].Load15 || lw.Messages[0].Load15 <= 0 {
			t.Fatalf("a control plane's load %v is not above a worker's %v (%v)", la1, lw, err)
		}
		first := dashboardCounters(t, c, cp)
		time.Sleep(200 * time.Millisecond)
		second := dashboardCounters(t, c, cp)
		for i := range first {
			if second[i] <= first[i] {
				t.Fatalf("counter %d did not grow between polls: %v then %v", i, first, second)
			}
		}
		st, err := c.MachineClient.SystemStat(cp, &emptypb.Empty{})
		if err != nil || len(st.Messages[0].Cpu) != 4 || time.Since(time.Unix(int64(st.Messages[0].BootTime), 0)) > time.Minute {
			t.Fatalf("SystemStat = %v, %v", st, err)
		}
		// talosctl dashboard -n a,b: one message per node, stamped.
		many, err := c.MachineClient.LoadAvg(client.WithNodes(ctx, "10.20.0.11", "10.20.0.21"), &emptypb.Empty{})
		if err != nil || len(many.Messages) != 2 || many.Messages[1].Metadata.GetHostname() != "10.20.0.21" {
			t.Fatalf("LoadAvg of two nodes = %v, %v", many, err)
		}
	})

	t.Run("dashboard resources", func(t *testing.T) {
		// What the dashboard watches for its header besides the stats.
		if info, err := safe.StateGetByID[*clusterres.Info](cp, c.COSI, clusterres.InfoID); err != nil || info.TypedSpec().ClusterName != "lab" || info.TypedSpec().ClusterID == "" {
			t.Fatalf("cluster info = %v, %v", info, err)
		}
		if si, err := safe.StateGetByID[*hardware.SystemInformation](w, c.COSI, hardware.SystemInformationID); err != nil || si.TypedSpec().Manufacturer != "QEMU" || len(si.TypedSpec().UUID) != 36 {
			t.Fatalf("system information = %v, %v", si, err)
		}
		if st, err := safe.StateGetByID[*network.Status](w, c.COSI, network.StatusID); err != nil || !st.TypedSpec().ConnectivityReady {
			t.Fatalf("network status = %v, %v", st, err)
		}
		if ts, err := safe.StateGetByID[*network.TimeServerStatus](cp, c.COSI, network.TimeServerID); err != nil || len(ts.TypedSpec().NTPServers) == 0 {
			t.Fatalf("time servers = %v, %v", ts, err)
		}
		if _, err := safe.StateGetByID[*network.ResolverStatus](cp, c.COSI, network.ResolverID); err != nil {
			t.Fatalf("resolvers: %v", err)
		}
	})

	t.Run("ps", func(t *testing.T) {
		cmds := func(nctx context.Context) string {
			resp, err := c.Processes(nctx)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, p := range resp.Messages[0].Processes {
				out = append(out, p.Command)
			}
			return strings.Join(out, " ")
		}
		if got := cmds(cp); !strings.Contains(got, "etcd") || !strings.Contains(got, "kube-apiserver") || !strings.HasPrefix(got, "init ") {
			t.Fatalf("control plane processes: %s", got)
		}
		if got := cmds(w); strings.Contains(got, "etcd") || !strings.Contains(got, "kubelet") {
			t.Fatalf("worker processes: %s", got)
		}
	})

	t.Run("logs", func(t *testing.T) {
		logs := func(nctx context.Context, id string, follow bool, tail int32) (string, error) {
			s, err := c.Logs(nctx, constants.SystemContainerdNamespace, common.ContainerDriver_CONTAINERD, id, follow, tail)
			if err != nil {
				return "", err
			}
			return readData(t, s)
		}
		if got, err := logs(cp, "machined", false, -1); err != nil || !strings.Contains(got, "[talos] pulled installer image") {
			t.Fatalf("machined log: %q, %v", got, err)
		}
		if got, err := logs(cp, "etcd", false, -1); err != nil || !strings.Contains(got, `"msg":"`) {
			t.Fatalf("etcd log: %q, %v", got, err)
		}
		if got, err := logs(w, "kubelet", false, 1); err != nil || strings.Count(got, "\n") != 1 || !strings.Contains(got, `"node":"w-1"`) {
			t.Fatalf("kubelet log, last line: %q, %v", got, err)
		}
		if _, err := logs(w, "etcd", false, -1); err == nil || !strings.Contains(err.Error(), `log "etcd" was not registered`) {
			t.Fatalf("etcd log on a worker: %v", err)
		}

		// --follow: a line the node logs after the call arrives.
		fctx, cancel := context.WithCancel(cp)
		defer cancel()
		s, err := c.Logs(fctx, constants.SystemContainerdNamespace, common.ContainerDriver_CONTAINERD, "machined", true, 0)
		if err != nil {
			t.Fatal(err)
		}
		n := h.ns.byIP("10.20.0.11")
		go func() {
			time.Sleep(50 * time.Millisecond)
			n.mu.Lock()
			n.logLocked("[talos] a line written while followed")
			n.mu.Unlock()
		}()
		d, err := s.Recv()
		if err != nil || !strings.HasSuffix(string(d.Bytes), "[talos] a line written while followed\n") {
			t.Fatalf("followed line: %q, %v", d.GetBytes(), err)
		}
	})

	t.Run("dmesg", func(t *testing.T) {
		s, err := c.Dmesg(w, false, false)
		if err != nil {
			t.Fatal(err)
		}
		got, err := readData(t, s)
		if err != nil || !strings.Contains(got, "Memory: 8053063K/8388608K available") || !strings.Contains(got, "smpboot: Allowing 4 CPUs") ||
			!strings.Contains(got, "[sda] 209715200 512-byte logical blocks") {
			t.Fatalf("dmesg: %q, %v", got, err)
		}
	})

	t.Run("roles", func(t *testing.T) {
		backup := h.roleClient("10.20.0.11", role.MakeSet(role.EtcdBackup))
		if _, err := backup.MachineClient.LoadAvg(ctx, &emptypb.Empty{}); code(err) != codes.PermissionDenied {
			t.Fatalf("LoadAvg as os:etcd:backup: %v", err)
		}
		s, err := backup.Dmesg(ctx, false, false)
		if err == nil {
			_, err = readData(t, s)
		}
		if code(err) != codes.PermissionDenied {
			t.Fatalf("Dmesg as os:etcd:backup: %v", err)
		}
	})
}

// dashboardCounters are the cumulative counters the dashboard turns into
// rates: CPU time, network and disk traffic.
func dashboardCounters(t *testing.T, c *client.Client, ctx context.Context) []float64 {
	t.Helper()
	st, err := c.MachineClient.SystemStat(ctx, &emptypb.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	nd, err := c.MachineClient.NetworkDeviceStats(ctx, &emptypb.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := c.MachineClient.DiskStats(ctx, &emptypb.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	var eth0 *machine.NetDev
	for _, d := range nd.Messages[0].Devices {
		if d.Name == "eth0" {
			eth0 = d
		}
	}
	if eth0 == nil || ds.Messages[0].Devices[0].Name != "sda" {
		t.Fatalf("devices: %v; %v", nd, ds)
	}
	cpu := st.Messages[0].CpuTotal
	return []float64{cpu.User + cpu.System, cpu.Idle, float64(eth0.RxBytes), float64(ds.Messages[0].Devices[0].WriteSectors)}
}
