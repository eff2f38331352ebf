package proxmox_test

import (
	"context"
	"strings"
	"testing"
	"time"

	pxapi "github.com/Telmate/proxmox-api-go/proxmox"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

func health(t *testing.T, c *pxapi.Client) (string, map[string]any) {
	t.Helper()
	st := getMap(t, c, "/cluster/ceph/status")
	h := st["health"].(map[string]any)
	return h["status"].(string), h["checks"].(map[string]any)
}

func TestCephRefusedBeforeInstall(t *testing.T) {
	w := newWorld(t)
	w.addHost("pve1", "DC2", "198.51.100.11")
	c := w.client("pve1")
	if _, err := c.GetItemConfigMapStringInterface(context.Background(), "/nodes/pve1/ceph/status", "ceph", "status"); apiErr(err) == nil || apiErr(err).Message != "binary not installed: /usr/bin/ceph-mon" {
		t.Fatalf("ceph status before install = %v", err)
	}
	if _, err := post(c, "/nodes/pve1/ceph/init", nil); apiErr(err) == nil || apiErr(err).Message != "Ceph Nautilus required - please run 'pveceph install'" {
		t.Fatalf("ceph init before install = %v", err)
	}
	_, errOut, status := w.ssh("pve1", "pveceph install")
	if status == 0 || !strings.Contains(errOut, "401  Unauthorized") {
		t.Fatalf("pveceph install from the enterprise repository without subscription: exit %d %s", status, errOut)
	}
	w.mustSSH("pve1", "pveceph install --repository no-subscription --version squid")
	if out := w.mustSSH("pve1", "pveceph install --repository no-subscription --version squid"); !strings.Contains(out, "installed ceph squid successfully!") {
		t.Fatalf("second install: %s", out)
	}
	if _, err := c.GetItemConfigMapStringInterface(context.Background(), "/nodes/pve1/ceph/status", "ceph", "status"); apiErr(err) == nil || apiErr(err).Message != "pveceph configuration not initialized" {
		t.Fatalf("ceph status before init = %v", err)
	}
}

func TestCephHealthFollowsDatacenters(t *testing.T) {
	w := newWorld(t)
	cs := cephBase(t, w)
	a := cs["pve1"]
	if _, err := post(a, "/nodes/pve1/ceph/osd", map[string]any{"dev": "/dev/nvme0n1"}); apiErr(err) == nil || apiErr(err).Message != "device '/dev/nvme0n1' is already in use" {
		t.Fatalf("OSD on the system disk = %v", err)
	}
	secret, err := a.New().ApiToken.Create(context.Background(), pxapi.UserID{Name: "root", Realm: "pam"}, pxapi.ApiTokenConfig{Name: "tripod", PrivilegeSeparation: new(bool)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := post(w.tokenClient("pve1", "root@pam!tripod", string(secret)), "/nodes/pve1/ceph/osd", map[string]any{"dev": "/dev/nvme1n1"}); apiErr(err) == nil || apiErr(err).Code != "403" {
		t.Fatalf("OSD with a token = %v; want 403", err)
	}
	osd(t, w, a, "pve1")
	osd(t, w, a, "pve2")
	if _, errOut, status := w.ssh("pve1", "ceph osd crush move pve3 datacenter=dc5"); status != 2 || !strings.Contains(errOut, "ENOENT") {
		t.Fatalf("moving a host without OSDs: exit %d %s", status, errOut)
	}
	datacenters(t, w, "pve1", "pve2")
	w.mustTask(a, "/nodes/pve1/ceph/pool", map[string]any{"name": "ceph-vm", "size": 3, "min_size": 2, "crush_rule": "replicated_dc", "add_storages": true})
	if st, checks := health(t, a); st != "HEALTH_WARN" || checks["PG_DEGRADED"] == nil || checks["TOO_FEW_OSDS"] == nil {
		t.Fatalf("two datacenters: %s %v", st, checks)
	}
	osd(t, w, a, "pve3")
	if st, checks := health(t, a); st != "HEALTH_WARN" || checks["PG_DEGRADED"] == nil {
		t.Fatalf("third OSD outside any datacenter: %s %v", st, checks)
	}
	datacenters(t, w, "pve3")
	if st, checks := health(t, a); st != "HEALTH_OK" {
		t.Fatalf("three datacenters: %s %v", st, checks)
	}
	if p := getMap(t, a, "/nodes/pve2/ceph/pool/ceph-vm"); p["crush_rule"] != "replicated_dc" || p["size"] != 3.0 {
		t.Fatalf("pool = %v", p)
	}
	active := 0
	for _, m := range getList(t, a, "/nodes/pve1/ceph/mgr") {
		if m["state"] == "active" {
			active++
		}
	}
	for _, s := range getList(t, a, "/nodes/pve3/storage") {
		if s["storage"] == "ceph-vm" && (s["active"] != 1.0 || s["type"] != "rbd") {
			t.Fatalf("ceph-vm storage on pve3 = %v", s)
		}
	}
	if active != 1 {
		t.Fatalf("%d active managers", active)
	}
	state := w.sim.State()
	if state.Ceph.Health != "HEALTH_OK" || len(state.Ceph.OSDs) != 3 || len(state.Ceph.Datacenters) != 3 || state.Storages[0].ID != "ceph-vm" {
		t.Fatalf("State().Ceph = %+v, storages %+v", state.Ceph, state.Storages)
	}
	w.env.Faults.SetDark("DC5", true)
	st, checks := health(t, a)
	for _, want := range []string{"MON_DOWN", "OSD_DOWN", "OSD_HOST_DOWN", "OSD_DATACENTER_DOWN", "PG_DEGRADED"} {
		if checks[want] == nil {
			t.Errorf("dark DC5: no %s in %s %v", want, st, checks)
		}
	}
	w.env.Faults.SetDark("DC3", true)
	if _, err := a.GetItemConfigMapStringInterface(context.Background(), "/cluster/ceph/status", "ceph", "status"); apiErr(err) == nil || apiErr(err).Message != "got timeout" {
		t.Fatalf("ceph status without monitor quorum = %v", err)
	}
	if _, err := post(a, "/nodes/pve1/ceph/pool", map[string]any{"name": "more"}); apiErr(err) == nil || apiErr(err).Message != "cluster not ready - no quorum?" {
		t.Fatalf("pool without quorum = %v", err)
	}
}

// Health is HEALTH_OK only once PGs have settled after the last change.
func TestCephSettles(t *testing.T) {
	w := newWorldWith(t, simcore.Realistic, 0.002)
	a := fullCeph(t, w)["pve1"]
	st, checks := health(t, a)
	if st != "HEALTH_WARN" || checks["PG_AVAILABILITY"] == nil {
		t.Fatalf("right after the pool: %s %v; want PGs peering", st, checks)
	}
	deadline := time.Now().Add(10 * time.Second)
	for st != "HEALTH_OK" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		st, checks = health(t, a)
	}
	if st != "HEALTH_OK" {
		t.Fatalf("never settled: %s %v", st, checks)
	}
}

func TestCephObservableOverSSH(t *testing.T) {
	w := newWorld(t)
	fullCeph(t, w)
	out := w.mustSSH("pve2", "ceph osd crush rule dump --format json")
	if !strings.Contains(out, `"rule_name":"replicated_dc"`) || !strings.Contains(out, `"type":"datacenter"`) {
		t.Fatalf("rule dump: %s", out)
	}
	out = w.mustSSH("pve3", "ceph osd crush tree --format json")
	if !strings.Contains(out, `"name":"dc5","type":"datacenter"`) {
		t.Fatalf("crush tree: %s", out)
	}
	if _, errOut, _ := w.ssh("pve1", "ceph osd crush add-bucket dc2 datacenter"); !strings.Contains(errOut, "already exists") {
		t.Fatalf("add-bucket twice: %s", errOut)
	}
	if out := w.mustSSH("pve1", "ceph osd pool get ceph-vm crush_rule"); out != "crush_rule: replicated_dc\n" {
		t.Fatalf("pool get: %q", out)
	}
}
