package proxmox_test

import (
	"context"
	"strings"
	"testing"

	goprox "github.com/luthermonson/go-proxmox"
)

// The simulator is checked with a second, independent client library:
// go-proxmox decodes PVE's answers into typed structs (strings where PVE
// sends strings, numbers where it sends numbers), so a wire-format mistake
// that Telmate's loose decoding and our own server share would fail here.

// guestViews starts the VM and reads what the guest agent and the snapshot
// list say, as an operator's tool does after a bring-up.
func guestViews(t *testing.T, ctx context.Context, w *world, vm *goprox.VirtualMachine) {
	t.Helper()
	if _, err := vm.AgentGetNetworkIFaces(ctx); err == nil || !strings.Contains(err.Error(), "is not running") {
		t.Errorf("guest agent of a stopped VM answered %v; PVE says the VM is not running", err)
	}
	task, err := vm.Start(ctx)
	if err != nil {
		t.Fatalf("go-proxmox Start: %v", err)
	}
	if err := task.WaitFor(ctx, 30); err != nil {
		t.Fatalf("start task: %v", err)
	}
	ifaces, err := vm.AgentGetNetworkIFaces(ctx)
	if err != nil {
		t.Errorf("go-proxmox AgentGetNetworkIFaces: %v", err)
	}
	found := false
	for _, i := range ifaces {
		for _, a := range i.IPAddresses {
			found = found || a.IPAddress == "10.20.0.102"
		}
	}
	if !found {
		t.Errorf("the guest agent reports no 10.20.0.102 among %d interfaces", len(ifaces))
	}
	snaps, err := vm.Snapshots(ctx)
	if err != nil || len(snaps) != 1 || snaps[0].Name != "current" {
		t.Errorf("go-proxmox Snapshots = %+v, %v; want the current pseudo-snapshot", snaps, err)
	}
}

// goClient is go-proxmox logged in as root@pam on host.
func (w *world) goClient(host string) *goprox.Client {
	w.t.Helper()
	c := goprox.NewClient(w.apiURL(host), goprox.WithHTTPClient(w.httpClient(host, "")),
		goprox.WithCredentials(&goprox.Credentials{Username: "root@pam", Password: w.hosts[host].RootPassword}))
	return c
}

func TestGoProxmoxDecodesEveryAnswer(t *testing.T) {
	w := newWorld(t)
	cs := fullCeph(t, w)
	url, sum := talosISO(t, w)
	upid, _ := download(w, "pve2", url, "talos.iso", "sha256", sum)
	if st := w.wait(cs["pve2"], upid); st != "OK" {
		t.Fatalf("ISO download ended %q", st)
	}
	ctx := context.Background()
	if _, err := vmProfile("pve2", "talos-cp-2", "10.20.0.102", 4096).Create(ctx, cs["pve2"]); err != nil {
		t.Fatal(err)
	}
	w.sim.Fingerprint("pve2") // the join re-signed the certificates; the clients pin the current ones
	c := w.goClient("pve2")
	check := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("go-proxmox %s: %v", what, err)
		}
	}

	v, err := c.Version(ctx)
	check("Version", err)
	if err == nil && !strings.HasPrefix(v.Release, "8") && !strings.HasPrefix(v.Release, "9") {
		t.Errorf("version release %q", v.Release)
	}
	var index []struct{ Subdir string }
	check("GET /api2/json/ (the index)", c.Get(ctx, "/", &index))
	if len(index) == 0 || index[0].Subdir != "version" {
		t.Errorf("API index = %+v", index)
	}
	nodes, err := c.Nodes(ctx)
	check("Nodes", err)
	if len(nodes) != 3 {
		t.Errorf("go-proxmox sees %d nodes, want 3", len(nodes))
	}
	cl, err := c.Cluster(ctx)
	check("Cluster (status)", err)
	if err == nil {
		if cl.Name != "tripod" || cl.Quorate != 1 || len(cl.Nodes) != 3 {
			t.Errorf("cluster = %q quorate %d, %d nodes", cl.Name, cl.Quorate, len(cl.Nodes))
		}
		_, err = cl.Resources(ctx)
		check("Cluster.Resources", err)
		_, err = cl.Resources(ctx, "vm")
		check("Cluster.Resources(vm)", err)
	}
	_, err = c.ClusterStorages(ctx)
	check("ClusterStorages", err)

	n, err := c.Node(ctx, "pve2")
	check("Node", err)
	if n == nil {
		t.FailNow()
	}
	_, err = n.Version(ctx)
	check("Node.Version", err)
	nets, err := n.Networks(ctx)
	check("Node.Networks", err)
	var vlan *goprox.NodeNetwork
	for _, x := range nets {
		if x.Iface == "vmbr1.4000" {
			vlan = x
		}
	}
	if vlan == nil || vlan.CIDR != "10.20.0.12/24" {
		t.Errorf("go-proxmox sees no vmbr1.4000 with 10.20.0.12/24 among %d interfaces", len(nets))
	}
	_, err = n.Network(ctx, "vmbr1")
	check("Node.Network(vmbr1)", err)
	_, err = n.Storages(ctx)
	check("Node.Storages", err)
	_, err = n.Storage(ctx, "ceph-vm")
	check("Node.Storage(ceph-vm)", err)
	_, err = n.CephStatus(ctx)
	check("Node.CephStatus", err)

	vms, err := n.VirtualMachines(ctx)
	check("Node.VirtualMachines", err)
	if len(vms) != 1 {
		t.Errorf("go-proxmox lists %d VMs on pve2, want 1", len(vms))
	}
	if len(vms) == 1 {
		vm, err := n.VirtualMachine(ctx, int(vms[0].VMID))
		check("Node.VirtualMachine (status and config)", err)
		if err == nil && (vm.Name != "talos-cp-2" || vm.VirtualMachineConfig == nil || vm.VirtualMachineConfig.Bios == nil || *vm.VirtualMachineConfig.Bios != "ovmf") {
			t.Errorf("VM = %q, config %+v", vm.Name, vm.VirtualMachineConfig)
		}
		if vm != nil {
			guestViews(t, ctx, w, vm)
		}
	}
	_, err = n.Tasks(ctx, nil)
	check("Node.Tasks", err)
	if cl != nil {
		_, err = cl.Tasks(ctx)
		check("Cluster.Tasks", err)
	}
}
