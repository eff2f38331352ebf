package talos

import (
	"errors"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/inventory"
)

// TestRenderAllRefusesInvalidPatches: a patch that makes a config invalid
// is refused for every node it applies to, all nodes at once, each in one
// line naming the node, the patch and the machinery's message; nodes the
// patch does not target still render.
func TestRenderAllRefusesInvalidPatches(t *testing.T) {
	for _, tc := range []struct {
		name, patch, source, message string
		target                       inventory.MachineType // "" for every node
	}{
		{"machine type", "    - file: ../internal/talos/testdata/machine-type-bogus.yaml\n",
			"talos.patches[1] (../internal/talos/testdata/machine-type-bogus.yaml)", `unknown machine type "bogus"`, ""},
		{"JSON6902 remove of a missing path", "    - inline:\n        - op: remove\n          path: /machine/nonexistent\n      target: worker\n",
			"talos.patches[1] (inline)", "Unable to remove nonexistent key: nonexistent", inventory.WorkerNode},
		{"second hostname", "    - inline:\n        machine:\n          network:\n            hostname: other\n      target: controlplane\n",
			"talos.patches[1] (inline)", "static hostname is already set in v1alpha1 config", inventory.ControlPlaneNode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := withPatches(t, tc.patch)
			b, _ := testBundle(t, inv.Cluster.Talos.Version)
			rendered, err := RenderAll(inv, b)
			var all ConfigErrors
			if !errors.As(err, &all) {
				t.Fatalf("want ConfigErrors, got %T %v", err, err)
			}
			failed := map[string]bool{}
			for _, e := range all {
				var pe *PatchError
				if !errors.As(e, &pe) || pe.Patch != tc.source || pe.Path != "talos.patches[1]" {
					t.Fatalf("want a PatchError naming %s, got %#v", tc.source, e)
				}
				msg := e.Error()
				if !strings.HasPrefix(msg, "machine config of "+pe.Node+": "+tc.source+": ") || !strings.Contains(msg, tc.message) || strings.Contains(msg, "\n") {
					t.Errorf("want one line naming node, patch and %q, got %q", tc.message, msg)
				}
				failed[pe.Node] = true
			}
			for _, vm := range inv.Layout.VMs {
				want := tc.target == "" || tc.target == vm.Type
				if failed[vm.Name] != want {
					t.Errorf("%s (%s): refused %v, want %v", vm.Name, vm.Type, failed[vm.Name], want)
				}
			}
			if len(rendered)+len(all) != len(inv.Layout.VMs) {
				t.Errorf("%d rendered and %d refused of %d nodes", len(rendered), len(all), len(inv.Layout.VMs))
			}
			if lines := strings.Count(err.Error(), "\n") + 1; lines != len(all) {
				t.Errorf("want one line per refused node, got %d lines for %d:\n%s", lines, len(all), err)
			}
		})
	}
}

// TestRenderAllMatchesRender: the check renders the very bytes the
// machineconfig stage writes.
func TestRenderAllMatchesRender(t *testing.T) {
	inv := loadInventory(t, "../../inventories/lab.yaml")
	b, _ := testBundle(t, inv.Cluster.Talos.Version)
	want := renderAll(t, inv, b)
	got, err := RenderAll(inv, b)
	if err != nil || len(got) != len(want) {
		t.Fatalf("%d configs, %v", len(got), err)
	}
	for _, r := range got {
		if string(r.Bytes) != string(want[r.Node]) {
			t.Errorf("%s: RenderAll's config differs from Render's", r.Node)
		}
	}
}
