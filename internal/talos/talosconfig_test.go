package talos

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	clientconfig "github.com/siderolabs/talos/pkg/machinery/client/config"
)

func TestTalosconfigHasEveryControlPlaneAndStaysCurrent(t *testing.T) {
	inv := loadInventory(t, "../../inventories/prod-3az.yaml")
	b, _ := testBundle(t, inv.Cluster.Talos.Version)
	r, err := NewRenderer(inv, b)
	if err != nil {
		t.Fatal(err)
	}
	tc, err := r.Talosconfig()
	if err != nil {
		t.Fatal(err)
	}
	eps := ControlPlaneEndpoints(inv.Layout)
	if tc.Context != inv.Cluster.Name || !slices.Equal(tc.Contexts[tc.Context].Endpoints, eps) || len(eps) != len(inv.Layout.ControlPlanes()) {
		t.Fatalf("context %q endpoints %v, want %v", tc.Context, tc.Contexts[tc.Context].Endpoints, eps)
	}
	data, err := tc.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if !TalosconfigCurrent(data, b, inv.Cluster.Name, eps, now) {
		t.Error("a fresh talosconfig is not current")
	}
	if TalosconfigCurrent(data, b, inv.Cluster.Name, eps[:1], now) {
		t.Error("a talosconfig with other endpoints is current")
	}
	if TalosconfigCurrent(data, b, inv.Cluster.Name, eps, now.Add(360*24*time.Hour)) {
		t.Error("a talosconfig whose certificate expires within 30 days is current")
	}
	other, _ := LoadBundle(mustNewBundle(t, inv.Cluster.Talos.Version))
	if TalosconfigCurrent(data, other, inv.Cluster.Name, eps, now) {
		t.Error("a talosconfig for another cluster's CA is current")
	}
}

func mustNewBundle(t *testing.T, version string) []byte {
	t.Helper()
	data, err := NewBundle(fixedClock, version)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestMergeTalosconfigRenamesOnConflict(t *testing.T) {
	cfg := func(ctx, ep string) []byte {
		b, _ := (&clientconfig.Config{Context: ctx, Contexts: map[string]*clientconfig.Context{ctx: {Endpoints: []string{ep}, CA: "Y2E="}}}).Bytes()
		return b
	}
	out, renames, err := MergeTalosconfig(nil, cfg("lab", "10.20.0.50"))
	if err != nil || len(renames) != 0 {
		t.Fatalf("into nothing: %v %v", renames, err)
	}
	again, renames, err := MergeTalosconfig(out, cfg("lab", "10.20.0.50"))
	if err != nil || len(renames) != 0 || string(again) != string(out) {
		t.Fatalf("merging the same context twice: renames %v, err %v, changed %v", renames, err, string(again) != string(out))
	}
	out, _, err = MergeTalosconfig(cfg("other", "10.0.0.1"), cfg("lab", "10.20.0.50"))
	if err != nil {
		t.Fatal(err)
	}
	out, renames, err = MergeTalosconfig(out, cfg("lab", "10.30.0.50"))
	if err != nil || len(renames) != 1 || !strings.Contains(renames[0], `"lab" -> "lab-1"`) {
		t.Fatalf("conflict: renames %v err %v", renames, err)
	}
	got, _ := clientconfig.FromBytes(out)
	if got.Context != "lab-1" || got.Contexts["other"] == nil || got.Contexts["lab"].Endpoints[0] != "10.20.0.50" || got.Contexts["lab-1"].Endpoints[0] != "10.30.0.50" {
		t.Errorf("merged: current %q, contexts %v", got.Context, slices.Sorted(maps.Keys(got.Contexts)))
	}
}
