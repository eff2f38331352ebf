package proxmox_test

import (
	"context"
	"encoding/json"
	"testing"

	pxapi "github.com/Telmate/proxmox-api-go/proxmox"

	"github.com/tripod-dev/tripod/internal/sim/proxmox"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// reload saves the world's simulator, closes it, and loads a fresh one.
func reload(t *testing.T, w *world) {
	t.Helper()
	data, err := w.sim.Save()
	if err != nil {
		t.Fatal(err)
	}
	w.sim.Close()
	next := proxmox.New(w.env)
	next.Images = w.fac
	if err := next.Load(data); err != nil {
		t.Fatal(err)
	}
	if err := next.Load(data); err == nil {
		t.Fatal("Load into a populated simulator succeeded")
	}
	w.sim = next
}

func TestSaveLoadRoundTrip(t *testing.T) {
	w := newWorld(t)
	w.three()
	cs := formCluster(t, w)
	a := cs["pve1"]
	secret, err := a.New().ApiToken.Create(context.Background(), pxapi.UserID{Name: "root", Realm: "pam"}, pxapi.ApiTokenConfig{Name: "tripod", PrivilegeSeparation: new(bool)})
	if err != nil {
		t.Fatal(err)
	}
	w.mustTask(a, "/nodes/pve2/qemu", map[string]any{"vmid": 300, "name": "w1", "memory": 2048, "net0": "virtio,bridge=vmbr0", "scsi0": "local-lvm:8", "tags": "tripod"})
	w.mustTask(a, "/nodes/pve2/qemu/300/status/start", nil)
	before, _ := json.Marshal(w.sim.State())
	fps := map[string]string{}
	for _, n := range nodes3 {
		fps[n] = w.sim.Fingerprint(n)
	}

	reload(t, w)

	after, _ := json.Marshal(w.sim.State())
	if string(before) != string(after) {
		t.Fatalf("state changed across Save/Load:\n%s\n%s", before, after)
	}
	for _, n := range nodes3 {
		if w.sim.Fingerprint(n) != fps[n] {
			t.Fatalf("%s fingerprint changed across Save/Load", n)
		}
	}
	tok := w.tokenClient("pve3", "root@pam!tripod", string(secret))
	if cur := getMap(t, tok, "/nodes/pve2/qemu/300/status/current"); cur["status"] != "running" {
		t.Fatalf("VM after reload = %v", cur)
	}
	if err := w.sim.AddHost(w.hosts["pve1"]); err != nil {
		t.Fatalf("AddHost of a present host after Load: %v", err)
	}
}

// Work in flight finishes after a reload, on the scaled clock.
func TestSaveLoadTaskInFlight(t *testing.T) {
	w := newWorldWith(t, simcore.Realistic, 0.01)
	w.addHost("pve1", "DC2", "198.51.100.11")
	url, sum := talosISO(t, w)
	upid, err := download(w, "pve1", url, "talos.iso", "sha256", sum)
	if err != nil {
		t.Fatal(err)
	}
	reload(t, w)
	if st := w.wait(w.client("pve1"), upid); st != "OK" {
		t.Fatalf("download after reload ended %q", st)
	}
	if isos := w.sim.State().ISOs["pve1"]; len(isos) != 1 {
		t.Fatalf("ISOs after reload = %+v", isos)
	}
}
