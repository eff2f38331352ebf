package proxmox_test

import (
	"context"
	"testing"

	goprox "github.com/luthermonson/go-proxmox"
)

// go-proxmox's storage, Ceph, task and cluster calls decode the simulator's
// answers: the download an operator would start by hand, its task's status
// and log, the storage's content, the cluster's storage and Ceph status,
// the next free VM ID and the terminal proxy.
func TestGoProxmoxStorageCephAndTasks(t *testing.T) {
	w := newWorld(t)
	fullCeph(t, w)
	url, sum := talosISO(t, w)
	w.sim.Fingerprint("pve2")
	ctx := context.Background()
	c := w.goClient("pve2")
	n, err := c.Node(ctx, "pve2")
	if err != nil {
		t.Fatalf("go-proxmox Node: %v", err)
	}
	check := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("go-proxmox %s: %v", what, err)
		}
	}
	upid, err := n.StorageDownloadURL(ctx, &goprox.StorageDownloadURLOptions{Node: "pve2", Storage: "local", Content: "iso",
		Filename: "talos.iso", URL: url, Checksum: sum, ChecksumAlgorithm: "sha256"})
	check("StorageDownloadURL", err)
	task := goprox.NewTask(goprox.UPID(upid), c)
	check("Task.WaitFor", task.WaitFor(ctx, 30))
	if task.ExitStatus != "OK" {
		t.Errorf("download task ended %q", task.ExitStatus)
	}
	lines, err := task.Log(ctx, 0, 50)
	check("Task.Log", err)
	if len(lines) == 0 {
		t.Errorf("the download task's log is empty")
	}

	local, err := n.Storage(ctx, "local")
	check("Node.Storage(local)", err)
	if local != nil {
		content, err := local.GetContent(ctx)
		check("Storage.GetContent", err)
		found := false
		for _, x := range content {
			found = found || x.Volid == "local:iso/talos.iso"
		}
		if !found {
			t.Errorf("local's content does not list local:iso/talos.iso (%d volumes)", len(content))
		}
	}
	cs, err := c.ClusterStorage(ctx, "ceph-vm")
	check("ClusterStorage(ceph-vm)", err)
	if cs != nil && cs.Type != "rbd" {
		t.Errorf("ceph-vm storage type %q, want rbd", cs.Type)
	}

	cl, err := c.Cluster(ctx)
	check("Cluster", err)
	if cl == nil {
		t.FailNow()
	}
	ceph, err := cl.Ceph(ctx)
	check("Cluster.Ceph", err)
	st, err := ceph.Status(ctx)
	check("Ceph.Status", err)
	if st != nil && st.Health.Status != "HEALTH_OK" {
		t.Errorf("ceph health %q", st.Health.Status)
	}
	id, err := cl.NextID(ctx)
	check("Cluster.NextID", err)
	if id < 100 {
		t.Errorf("next VM ID %d", id)
	}
	free, err := cl.CheckID(ctx, id)
	check("Cluster.CheckID", err)
	if !free {
		t.Errorf("the next ID %d is not free", id)
	}
	tasks, err := cl.Tasks(ctx)
	check("Cluster.Tasks", err)
	if len(tasks) == 0 {
		t.Errorf("the cluster lists no tasks after a download")
	}
	term, err := n.TermProxy(ctx)
	check("Node.TermProxy", err)
	if term != nil && term.Ticket == "" {
		t.Errorf("termproxy answered no ticket")
	}
	if e := errs(w); e != "" {
		t.Errorf("recorded errors: %s", e)
	}
}
