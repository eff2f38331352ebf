package proxmox_test

import (
	"strings"
	"testing"
	"time"
)

// A pool of size 3, min_size 2 over three datacenters takes writes with
// one datacenter dark (its PGs are active+undersized) and blocks them with
// two dark, until the client's op timeout gives up.
func TestRadosWritesFollowPGAvailability(t *testing.T) {
	w := newWorld(t)
	fullCeph(t, w)
	w.mustSSH("pve1", "rados -p ceph-vm put probe -")
	w.env.Faults.SetDark("DC5", true)
	w.mustSSH("pve1", "rados -p ceph-vm put probe -")
	if _, errOut, status := w.ssh("pve1", "rados -p nope put probe -"); status != 1 || !strings.Contains(errOut, "error opening pool nope") {
		t.Fatalf("put into a missing pool: exit %d %s", status, errOut)
	}
	w.env.Faults.SetDark("DC3", true)
	start := time.Now()
	_, errOut, status := w.ssh("pve1", "rados -p ceph-vm --rados-osd-op-timeout 0.3 put probe -")
	if status != 110 || !strings.Contains(errOut, "Connection timed out") {
		t.Fatalf("put with two datacenters dark: exit %d %s; want ETIMEDOUT", status, errOut)
	}
	if waited := time.Since(start); waited < 300*time.Millisecond {
		t.Fatalf("the write gave up after %s, before its op timeout: librados waits for the PG", waited)
	}
}
