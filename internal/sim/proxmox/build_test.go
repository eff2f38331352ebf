package proxmox_test

import (
	"fmt"
	"testing"

	pxapi "github.com/Telmate/proxmox-api-go/proxmox"
)

// formCluster creates "tripod" on pve1 and joins pve2 and pve3 one at a
// time, returning re-pinned, logged-in clients.
func formCluster(t *testing.T, w *world) map[string]*pxapi.Client {
	t.Helper()
	a := w.client("pve1")
	w.mustTask(a, "/cluster/config", map[string]any{"clustername": "tripod"})
	for _, n := range []string{"pve2", "pve3"} {
		if _, err := post(w.client(n), "/cluster/config/join", joinParams(w, "pve1", "", "pw-pve1")); err != nil {
			t.Fatal(err)
		}
		waitMember(t, a, n)
	}
	return map[string]*pxapi.Client{"pve1": a, "pve2": w.client("pve2"), "pve3": w.client("pve3")}
}

var nodes3 = []string{"pve1", "pve2", "pve3"}
var dcs3 = map[string]string{"pve1": "dc2", "pve2": "dc3", "pve3": "dc5"}

// cephBase brings the cluster to Ceph with monitors and managers on every
// node over the private VLAN, and no OSDs yet.
func cephBase(t *testing.T, w *world) map[string]*pxapi.Client {
	t.Helper()
	w.three()
	cs := formCluster(t, w)
	for i, n := range nodes3 {
		privateNet(t, w, cs[n], n, fmt.Sprintf("10.20.0.1%d/24", i+1))
		w.mustSSH(n, "pveceph install --repository no-subscription --version squid")
	}
	a := cs["pve1"]
	if _, err := post(a, "/nodes/pve1/ceph/init", map[string]any{"network": "10.20.0.0/24"}); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes3 {
		w.mustTask(a, "/nodes/"+n+"/ceph/mon/"+n, nil)
	}
	for _, n := range nodes3[1:] {
		w.mustTask(a, "/nodes/"+n+"/ceph/mgr/"+n, nil)
	}
	return cs
}

// osd creates an OSD on a node's first data disk.
func osd(t *testing.T, w *world, c *pxapi.Client, n string) {
	t.Helper()
	w.mustTask(c, "/nodes/"+n+"/ceph/osd", map[string]any{"dev": "/dev/nvme1n1"})
}

// datacenters puts each node's host bucket into its own datacenter bucket
// under the default root, and creates the per-datacenter rule, over SSH.
func datacenters(t *testing.T, w *world, hosts ...string) {
	t.Helper()
	for _, h := range hosts {
		dc := dcs3[h]
		w.mustSSH("pve1", "ceph osd crush add-bucket "+dc+" datacenter")
		w.mustSSH("pve1", "ceph osd crush move "+dc+" root=default")
		w.mustSSH("pve1", "ceph osd crush move "+h+" datacenter="+dc)
	}
	w.mustSSH("pve1", "ceph osd crush rule create-replicated replicated_dc default datacenter")
}

// fullCeph is the tool's end state of stage 5: three datacenters with an
// OSD each and the ceph-vm pool registered as storage.
func fullCeph(t *testing.T, w *world) map[string]*pxapi.Client {
	t.Helper()
	cs := cephBase(t, w)
	for _, n := range nodes3 {
		osd(t, w, cs["pve1"], n)
	}
	datacenters(t, w, nodes3...)
	w.mustTask(cs["pve1"], "/nodes/pve1/ceph/pool", map[string]any{"name": "ceph-vm", "size": 3, "min_size": 2,
		"crush_rule": "replicated_dc", "add_storages": true})
	return cs
}
