package inventory

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestShippedInventories loads every example the project ships: a broken
// example is a broken first impression.
func TestShippedInventories(t *testing.T) {
	files, err := filepath.Glob("../../inventories/*.yaml")
	if err != nil || len(files) < 4 {
		t.Fatalf("want at least 4 shipped inventories, got %v (%v)", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			l, err := Load(f)
			if err != nil {
				t.Fatalf("shipped inventory does not load:\n%v", err)
			}
			if len(l.Layout.ControlPlanes()) != l.Cluster.ControlPlane.Count {
				t.Errorf("layout has %d control planes, inventory %d", len(l.Layout.ControlPlanes()), l.Cluster.ControlPlane.Count)
			}
			for _, vm := range l.Layout.VMs {
				if vm.Host == "" || !vm.Address.IsValid() {
					t.Errorf("VM %s is not fully planned: host %q address %v", vm.Name, vm.Host, vm.Address)
				}
			}
		})
	}
}

func TestProdLayout(t *testing.T) {
	l, err := Load("../../inventories/prod-3az.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := len(l.Layout.Workers()); got != 9 {
		t.Errorf("prod has %d workers, want 9", got)
	}
	perAZ := map[string]int{}
	for _, cp := range l.Layout.ControlPlanes() {
		perAZ[cp.AZ]++
		h, _ := l.Layout.Host(cp.Host)
		if !h.HasRole(RoleCompute) || h.AZ != cp.AZ {
			t.Errorf("%s placed on %s, which is not a compute host of its AZ", cp.Name, cp.Host)
		}
	}
	if len(perAZ) != 3 {
		t.Errorf("control planes per AZ = %v, want one in each of 3", perAZ)
	}
}

func TestValidTestdata(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid-*.yaml")
	if len(files) == 0 {
		t.Fatal("no valid testdata")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if _, err := Load(f); err != nil {
				t.Fatalf("want valid, got:\n%v", err)
			}
		})
	}
}

// TestInvalidTestdata checks each broken inventory against the "# want:"
// lines at its end: every expected problem is reported with its exact
// line:col: path: message, and nothing else is.
func TestInvalidTestdata(t *testing.T) {
	files, _ := filepath.Glob("testdata/invalid-*.yaml")
	if len(files) < 15 {
		t.Fatalf("want at least 15 invalid cases, got %d", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var wants []string
			for _, line := range strings.Split(string(data), "\n") {
				if w, ok := strings.CutPrefix(line, "# want: "); ok {
					wants = append(wants, f+":"+w)
				}
			}
			if len(wants) == 0 {
				t.Fatal("test case has no # want: lines")
			}
			_, err = Load(f)
			var probs Problems
			if !errors.As(err, &probs) {
				t.Fatalf("want Problems, got %T %v", err, err)
			}
			var got []string
			for _, p := range probs {
				got = append(got, p.String())
			}
			if !reflect.DeepEqual(got, wants) {
				t.Errorf("problems differ\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(wants, "\n  "))
			}
		})
	}
}

func TestDefaultsArePureAndIdempotent(t *testing.T) {
	l, err := Load("../../inventories/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := *l.Cluster
	SetDefaults(&c)
	if !reflect.DeepEqual(&c, l.Cluster) {
		t.Error("a second defaulting pass changed the inventory")
	}
	if l.Cluster.Network.Gateway.IsValid() || l.Cluster.Talos.Endpoint != "https://10.20.0.10:6443" {
		t.Errorf("derived defaults wrong: gateway %v (want unset: each VM's own host) endpoint %q", l.Cluster.Network.Gateway, l.Cluster.Talos.Endpoint)
	}
	if l.Cluster.Proxmox.VMStorage != "vm" || l.Cluster.Ceph.Pools[0].FailureDomain != FailureDatacenter {
		t.Errorf("ceph defaults wrong: %+v", l.Cluster.Ceph)
	}
}

func TestLayoutIsDeterministic(t *testing.T) {
	a, err := Load("../../inventories/prod-3az.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		b, _ := Load("../../inventories/prod-3az.yaml")
		if !reflect.DeepEqual(a.Layout, b.Layout) {
			t.Fatal("two loads of one inventory planned different layouts")
		}
	}
}

func TestWarningsDoNotFail(t *testing.T) {
	l, err := Load("../../inventories/elastic-metal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, w := range l.Warnings {
		if w.Path == "azs[2].zone" && w.Severity == SeverityWarning {
			found = true
		}
	}
	if !found {
		t.Errorf("cross-region AZ not warned about: %v", l.Warnings)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]Size{"8GiB": 8 << 30, "512MiB": 512 << 20, "2TB": 2e12, "1.5Gi": 3 << 29} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"8", "", "GiB", "-1GiB", "1e400GiB", "8 parsecs"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}

func TestEmptyAndForeignFiles(t *testing.T) {
	for name, data := range map[string]string{
		"empty":     "",
		"list":      "- a\n- b\n",
		"two docs":  "apiVersion: tripod.dev/v1alpha1\nkind: Cluster\n---\nname: x\n",
		"k8s":       "apiVersion: v1\nkind: Pod\n",
		"no header": "name: lab\n",
	} {
		_, err := LoadBytes(name+".yaml", []byte(data), ".")
		var probs Problems
		if !errors.As(err, &probs) || len(probs) == 0 {
			t.Errorf("%s: want positioned problems, got %v", name, err)
		}
	}
}

// TestInventorySizeCap refuses a file over 4 MiB before reading it all: a
// 76 MB file used to cost 849 MB of memory to decode.
func TestInventorySizeCap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.yaml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("apiVersion: tripod.dev/v1alpha1\nkind: Cluster\nname: t1\noffers:\n")
	for fi, _ := f.Stat(); fi.Size() <= MaxInventoryBytes; fi, _ = f.Stat() {
		f.WriteString(strings.Repeat("  - {name: x, provider: dedibox, threads: 1, memory: 1GiB}\n", 1000))
	}
	f.Close()
	fi, _ := os.Stat(path)
	_, err = Load(path)
	var probs Problems
	if !errors.As(err, &probs) || len(probs) != 1 {
		t.Fatalf("want one problem for a %d-byte file, got %v", fi.Size(), err)
	}
	want := fmt.Sprintf("%s: the file is %d bytes, more than the 4 MiB an inventory may be; check that -i names the inventory", path, fi.Size())
	if got := probs[0].String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if _, err := LoadBytes("big.yaml", make([]byte, MaxInventoryBytes+1), "."); err == nil || !strings.Contains(err.Error(), "big.yaml: the file is 4194305 bytes") {
		t.Errorf("LoadBytes over the cap: %v", err)
	}
}
