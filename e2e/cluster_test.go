package e2e

import (
	"bytes"
	"context"
	"maps"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/client"
	"google.golang.org/grpc"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/netx"
	"github.com/tripod-dev/tripod/internal/simtest"
)

// worldState is the part of the simulator's /state these tests read.
type worldState struct {
	Scaleway struct {
		Servers []struct {
			ID            string   `json:"id"`
			Status        string   `json:"status"`
			InstallStatus string   `json:"install_status"`
			OS            string   `json:"os"`
			Hostname      string   `json:"hostname"`
			Tags          []string `json:"tags"`
		} `json:"servers"`
	} `json:"scaleway"`
	Proxmox struct {
		Cluster struct {
			Name    string   `json:"name"`
			Nodes   []string `json:"nodes"`
			Quorate bool     `json:"quorate"`
		} `json:"cluster"`
		VMs []struct {
			VMID   int      `json:"vmid"`
			Node   string   `json:"node"`
			Name   string   `json:"name"`
			Status string   `json:"status"`
			Tags   []string `json:"tags"`
		} `json:"vms"`
		Ceph struct {
			Health string `json:"health"`
		} `json:"ceph"`
	} `json:"proxmox"`
	Talos struct {
		Nodes []struct {
			Address      string `json:"address"`
			Mode         string `json:"mode"`
			MachineType  string `json:"machine_type"`
			ConfigSHA256 string `json:"config_sha256"`
		} `json:"nodes"`
	} `json:"talos"`
}

type shipped struct {
	file    string
	preload string
}

var shippedInventories = []shipped{
	{file: "lab"},
	{file: "prod-3az"},
	{file: "elastic-metal"},
	{file: "adopt", preload: "../inventories/sim/adopt-preload.yaml"},
}

// TestEveryShippedInventoryComesUpHealthy runs the real job on every shipped
// inventory against `tripod sim serve`, checks the world and the cluster
// through the files tripod wrote, then runs up again and checks that it
// changes nothing.
func TestEveryShippedInventoryComesUpHealthy(t *testing.T) {
	for _, inv := range shippedInventories {
		t.Run(inv.file, func(t *testing.T) {
			args := []string{"--profile", "realistic", "--time-scale", "0.0005", "--seed", "11"}
			if inv.preload != "" {
				args = append(args, "--preload", inv.preload)
			}
			sim := startSim(t, args...)
			file := "../inventories/" + inv.file + ".yaml"
			loaded, err := inventory.Load(file)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			r := tripod(t, sim, "up", "-i", file, "--state-dir", dir)
			if r.code != 0 {
				t.Fatalf("up: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			checkWorld(t, sim, loaded)
			checkEtcdMembers(t, sim, dir, loaded)
			checkKubeNodes(t, sim, dir, loaded)
			checkSSHKeysOnly(t, sim, loaded, strangerSource) // hardened: a stranger gets SSH with keys, nothing else

			configs := simtest.MachineConfigs(t, dir)
			before := sim.requests()
			r = tripod(t, sim, "up", "-i", file, "--state-dir", dir)
			after := sim.requests()
			if r.code != 0 {
				t.Fatalf("second up: exit %d\n%s", r.code, r.stderr)
			}
			if after.Mutating != before.Mutating {
				t.Errorf("second up sent %d mutating requests; routes now: %v", after.Mutating-before.Mutating, after.mutatingRoutes())
			}
			if again := simtest.MachineConfigs(t, dir); !maps.EqualFunc(configs, again, bytes.Equal) {
				t.Error("machine configs changed on a re-run")
			}
			if r := tripod(t, sim, "plan", "-i", file, "--state-dir", dir, "--detailed-exitcode"); r.code != 0 {
				t.Errorf("plan after a full run: exit %d\n%s", r.code, r.stdout)
			}
			if len(after.Errors) > 0 {
				t.Errorf("simulator recorded errors: %+v", after.Errors)
			}
		})
	}
}

func checkWorld(t *testing.T, sim *simProc, l *inventory.Loaded) {
	t.Helper()
	var st worldState
	sim.getJSON("/state", &st)
	tag := "tripod-cluster=" + l.Cluster.Name
	n := 0
	for _, s := range st.Scaleway.Servers {
		if contains(s.Tags, tag) {
			n++
			if s.Status != "ready" {
				t.Errorf("server %s is %s", s.ID, s.Status)
			}
		}
	}
	if n != len(l.Layout.Hosts) {
		t.Errorf("%d servers carry %s, the inventory has %d hosts", n, tag, len(l.Layout.Hosts))
	}
	if c := st.Proxmox.Cluster; !c.Quorate || len(c.Nodes) != len(l.Layout.Hosts) {
		t.Errorf("proxmox cluster %+v, want quorate with %d nodes", c, len(l.Layout.Hosts))
	}
	if st.Proxmox.Ceph.Health != "HEALTH_OK" {
		t.Errorf("ceph is %s", st.Proxmox.Ceph.Health)
	}
	running := map[string]string{}
	for _, vm := range st.Proxmox.VMs {
		if vm.Status == "running" && contains(vm.Tags, "tripod-"+l.Cluster.Name) {
			running[vm.Name] = vm.Node
		}
	}
	for _, vm := range l.Layout.VMs {
		if running[vm.Name] != vm.Host {
			t.Errorf("VM %s: running on %q, planned on %s", vm.Name, running[vm.Name], vm.Host)
		}
	}
	configured := 0
	for _, node := range st.Talos.Nodes {
		if node.Mode == "configured" {
			configured++
		}
	}
	if configured != len(l.Layout.VMs) {
		t.Errorf("%d Talos nodes configured, want %d", configured, len(l.Layout.VMs))
	}
}

// dialer reaches the simulated world as tripod does from the public side:
// public addresses through the simulator's map, the private network
// through the hosts' SSH with the key and pins tripod keeps in dir.
func dialer(t *testing.T, sim *simProc, l *inventory.Loaded, dir string) *netx.Dialer {
	return simtest.ThroughHosts(t, sim.admin, l, dir)
}

// checkEtcdMembers reads the etcd member list with the talosconfig tripod
// wrote and the machinery client, unmodified.
func checkEtcdMembers(t *testing.T, sim *simProc, dir string, l *inventory.Loaded) {
	t.Helper()
	cps := len(l.Layout.ControlPlanes())
	cfg := simtest.Talosconfig(t, dir)
	d := dialer(t, sim, l, dir)
	ctx, cancel := context.WithDeadline(context.Background(), waitDeadline(t))
	defer cancel()
	c, err := client.New(ctx, client.WithConfig(cfg), client.WithGRPCDialOptions(
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) })))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctxt := cfg.Contexts[cfg.Context]
	resp, err := c.EtcdMemberList(client.WithNode(ctx, ctxt.Endpoints[0]), nil)
	if err != nil {
		t.Fatalf("etcd member list through %s: %v", ctxt.Endpoints[0], err)
	}
	if got := len(resp.GetMessages()[0].GetMembers()); got != cps {
		t.Errorf("etcd has %d members, want one per control plane (%d)", got, cps)
	}
}

// checkKubeNodes lists the nodes with the kubeconfig tripod wrote.
func checkKubeNodes(t *testing.T, sim *simProc, dir string, l *inventory.Loaded) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	k := simtest.Kubeconfig(t, b)
	labels := simtest.NodeLabels(t, simtest.KubeClient(t, dialer(t, sim, l, dir), k, time.Until(waitDeadline(t))), k.Server)
	for _, vm := range l.Layout.VMs {
		if zone := labels[vm.Name]["topology.kubernetes.io/zone"]; zone != vm.AZ {
			t.Errorf("node %s has zone %q, want %s", vm.Name, zone, vm.AZ)
		}
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
