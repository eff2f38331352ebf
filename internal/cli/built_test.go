package cli

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/state"
)

// TestValidateChecksTheClusterAsBuilt: with a record of the built cluster
// in the state directory, validate refuses what it cannot take in place,
// in text and JSON, and accepts the inventory it was built from.
func TestValidateChecksTheClusterAsBuilt(t *testing.T) {
	const lab = "../../inventories/lab.yaml"
	l, err := inventory.Load(lab)
	if err != nil {
		t.Fatal(err)
	}
	id := inventory.NewIdentity(l.Cluster)
	id.RecordNetwork(l.Cluster)
	for _, vm := range l.Layout.VMs {
		id.RecordVM(l.Cluster, vm)
	}
	dir := t.TempDir()
	write := func() {
		data, _ := json.Marshal(id)
		if err := state.WriteFileAtomic(filepath.Join(dir, state.BuiltFile), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write()
	if code, out, errs := runCLI(t, "validate", "-i", lab, "--state-dir", dir); code != 0 || !strings.Contains(out, "is valid") {
		t.Fatalf("the inventory it was built from: code %d out %q err %q", code, out, errs)
	}
	id.Network.VLAN = 7
	id.Nodes.Gateway = netip.MustParseAddr("10.20.0.2") // built behind a router; lab.yaml leaves network.gateway unset
	write()
	code, out, errs := runCLI(t, "validate", "-i", lab, "--state-dir", dir)
	if code != 1 || out != "" || !strings.Contains(errs, "lab.yaml: network.vlan: cannot change from 7 to 120 on a live cluster") ||
		!strings.Contains(errs, "lab.yaml: network.gateway: cannot change from 10.20.0.2 to unset (each VM's own host) on a live cluster") {
		t.Fatalf("edited: code %d out %q err %q", code, out, errs)
	}
	code, out, _ = runCLI(t, "validate", "-o", "json", "-i", lab, "--state-dir", dir)
	var v struct {
		Valid  bool
		Errors []struct{ Path string }
	}
	if code != 1 || json.Unmarshal([]byte(out), &v) != nil || v.Valid || len(v.Errors) != 2 || v.Errors[0].Path != "network.vlan" {
		t.Fatalf("json: code %d out %q", code, out)
	}
	os.WriteFile(filepath.Join(dir, state.BuiltFile), []byte("{"), 0o600)
	if code, _, errs := runCLI(t, "validate", "-i", lab, "--state-dir", dir); code != 1 || !strings.Contains(errs, "is not a record of a built cluster") {
		t.Fatalf("corrupt record: code %d err %q", code, errs)
	}
}
