package inventory

import (
	"encoding/json"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"testing"
)

// builtAs records everything of l as built: what a successful up leaves.
func builtAs(l *Loaded) *Identity {
	id := NewIdentity(l.Cluster)
	id.RecordNetwork(l.Cluster)
	for _, h := range l.Layout.Hosts {
		id.RecordHost(h)
	}
	id.RecordProxmox(l.Cluster)
	for _, p := range l.Cluster.Ceph.Pools {
		id.RecordPool(p)
	}
	for _, vm := range l.Layout.VMs {
		id.RecordVM(l.Cluster, vm)
	}
	return id
}

// loadEdited loads file with each old string replaced by its new one.
func loadEdited(t *testing.T, file string, edits ...string) *Loaded {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(s, edits[i]) {
			t.Fatalf("%s has no %q to edit", file, edits[i])
		}
		s = strings.Replace(s, edits[i], edits[i+1], 1)
	}
	l, err := LoadBytes(file, []byte(s), "../../inventories")
	if err != nil {
		t.Fatalf("edited inventory does not load: %v", err)
	}
	return l
}

const lab = "../../inventories/lab.yaml"

// TestCheckBuiltRefusesIdentityChanges: each edit a live cluster cannot
// take is refused with one sentence naming the field, the old and new
// values, every node it moves and the safe procedure.
func TestCheckBuiltRefusesIdentityChanges(t *testing.T) {
	built := builtAs(loadEdited(t, lab))
	for _, tc := range []struct {
		name  string
		edits []string
		want  map[string][]string // path -> substrings of its one message
	}{
		{"gateway shifts a control plane", []string{"  vlan: 120\n", "  vlan: 120\n  gateway: 10.20.0.52\n"}, map[string][]string{
			"network.gateway": {"cannot change from unset (each VM's own host) to 10.20.0.52 on a live cluster", "lab-cp-3 from 10.20.0.52 to 10.20.0.53",
				"rebuild the cluster (tripod down, then up)"},
		}},
		// The default node range follows the subnet, and with it the AZs'
		// worker blocks.
		{"subnet", []string{"10.20.0.0/24", "10.20.0.0/23"}, map[string][]string{
			"network.subnet":    {"from 10.20.0.0/24 to 10.20.0.0/23", "rebuild", "lab-par-dc3-w-1 from 10.20.0.121 to 10.20.0.207"},
			"network.nodeRange": {"lab-par-dc5-w-1 from 10.20.0.187 to 10.20.1.103"},
		}},
		{"narrower node range moves the later AZs' workers", []string{"vlan: 120", "vlan: 120\n  nodeRange: 10.20.0.50-10.20.0.250"}, map[string][]string{
			"network.nodeRange": {"lab-par-dc3-w-1 from 10.20.0.121 to 10.20.0.120", "lab-par-dc5-w-1 from 10.20.0.187 to 10.20.0.185"},
		}},
		{"vip", []string{"vip: 10.20.0.10", "vip: 10.20.0.9"}, map[string][]string{
			"talos.vip": {"from 10.20.0.10 to 10.20.0.9", "rebuild"},
		}},
		{"vip into the node range", []string{"vip: 10.20.0.10", "vip: 10.20.0.51"}, map[string][]string{
			"talos.vip": {"from 10.20.0.10 to 10.20.0.51", "lab-cp-2 from 10.20.0.51 to 10.20.0.52", "lab-cp-3 from 10.20.0.52 to 10.20.0.53"},
		}},
		{"vlan", []string{"vlan: 120", "vlan: 130"}, map[string][]string{
			"network.vlan": {"from 120 to 130", "set it back to 120"},
		}},
		{"control-plane address", []string{"controlPlane:\n", "controlPlane:\n  addresses: [10.20.0.50, 10.20.0.55, 10.20.0.52]\n"}, map[string][]string{
			"controlPlane.addresses[1]": {"lab-cp-2 cannot change address from 10.20.0.51 to 10.20.0.55", "etcd"},
			// .55 was the first AZ's first worker's: it moves on, the other
			// AZs' blocks do not
			"azs[0].workers": {"lab-par-dc2-w-1 cannot change address from 10.20.0.55 to 10.20.0.56", "controlPlane.addresses[1] changed", "rebuilding the VMs"},
		}},
		{"host address moves another host", []string{"- name: lab-pve-2\n", "- name: lab-pve-2\n        privateAddress: 10.20.0.20\n"}, map[string][]string{
			"azs[1].hosts[0].privateAddress": {"lab-pve-2 cannot change address from 10.20.0.12 to 10.20.0.20", "rebuild"},
			"azs[2].hosts[0]":                {"lab-pve-3 cannot change address from 10.20.0.13 to 10.20.0.12", "azs[1].hosts[0].privateAddress changed"},
		}},
		{"proxmox cluster name", []string{"scaleway:\n", "proxmox:\n  clusterName: lab2\nscaleway:\n"}, map[string][]string{
			"proxmox.clusterName": {"from lab to lab2", "set it back to lab"},
		}},
		{"failure domain", []string{"failureDomain: datacenter", "failureDomain: host"}, map[string][]string{
			"ceph.pools[0].failureDomain": {"from datacenter to host", "new pool"},
		}},
		{"surviving worker re-addressed", []string{"      count: 1\n", "      count: 1\n      addresses: [10.20.0.70]\n"}, map[string][]string{
			"azs[0].workers.addresses[0]": {"lab-par-dc2-w-1 cannot change address from 10.20.0.55 to 10.20.0.70", "tripod down, then up"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			probs := CheckBuilt(built, loadEdited(t, lab, tc.edits...).Cluster, loadEdited(t, lab, tc.edits...).Layout)
			got := map[string]string{}
			for _, p := range probs {
				if _, dup := got[p.Path]; dup {
					t.Errorf("two problems at %s", p.Path)
				}
				got[p.Path] = p.Message
			}
			if len(got) != len(tc.want) {
				t.Errorf("problems %v, want one at each of %v", probs, keys(tc.want))
			}
			for path, subs := range tc.want {
				msg, ok := got[path]
				if !ok {
					t.Errorf("no problem at %s; got %v", path, probs)
					continue
				}
				for _, s := range subs {
					if !strings.Contains(msg, s) {
						t.Errorf("%s: %q lacks %q", path, msg, s)
					}
				}
				if strings.Count(msg, ". ") > 0 || strings.Contains(msg, "\n") {
					t.Errorf("%s: not one sentence: %q", path, msg)
				}
			}
		})
	}
}

// TestCheckBuiltControlPlaneCount: five control planes built, three asked
// for: refused once, under controlPlane.count.
func TestCheckBuiltControlPlaneCount(t *testing.T) {
	const five = "testdata/valid-five-cp.yaml"
	built := builtAs(loadEdited(t, five))
	l := loadEdited(t, five, "count: 5", "count: 3")
	var found bool
	for _, p := range CheckBuilt(built, l.Cluster, l.Layout) {
		if p.Path == "controlPlane.count" {
			found = true
			if !strings.Contains(p.Message, "from 5 to 3 on a live cluster") || !strings.Contains(p.Message, "etcd") {
				t.Errorf("message %q", p.Message)
			}
		}
	}
	if !found {
		t.Errorf("controlPlane.count 5 -> 3 not refused: %v", CheckBuilt(built, l.Cluster, l.Layout))
	}
}

// TestCheckBuiltAllowsScaling: adding workers (new names) and removing
// workers (names gone) are legal on a live cluster, as is an unchanged
// inventory and anything not built yet.
func TestCheckBuiltAllowsScaling(t *testing.T) {
	built := builtAs(loadEdited(t, lab))
	for name, edits := range map[string][]string{
		"unchanged": nil,
		"scale out": {"      count: 1\n      cores: 2\n      memory: 6GiB\n      disk: 40GiB\nnetwork:", "      count: 2\n      cores: 2\n      memory: 6GiB\n      disk: 40GiB\nnetwork:"},
		"scale in":  {"      count: 1\n      cores: 2\n      memory: 6GiB\n      disk: 40GiB\nnetwork:", "      count: 0\n      cores: 2\n      memory: 6GiB\n      disk: 40GiB\nnetwork:"},
		// a range may change as long as no built node moves
		"host range": {"vlan: 120", "vlan: 120\n  hostRange: 10.20.0.11-10.20.0.40"},
	} {
		t.Run(name, func(t *testing.T) {
			l := loadEdited(t, lab, edits...)
			if probs := CheckBuilt(built, l.Cluster, l.Layout); len(probs) > 0 {
				t.Errorf("refused: %v", probs)
			}
		})
	}
	// Nothing built: anything goes.
	l := loadEdited(t, lab, "vlan: 120", "vlan: 130\n  gateway: 10.20.0.52")
	if probs := CheckBuilt(NewIdentity(l.Cluster), l.Cluster, l.Layout); len(probs) > 0 {
		t.Errorf("refused with nothing built: %v", probs)
	}
}

// TestCheckBuiltByName: VMs are matched by name, whatever the naming: a
// worker recorded under another name is a removed one plus an added one,
// and a surviving name that changes AZ or VM ID is refused.
func TestCheckBuiltByName(t *testing.T) {
	l := loadEdited(t, lab)
	built := builtAs(l)
	w := built.VMs["lab-par-dc2-w-1"]
	delete(built.VMs, "lab-par-dc2-w-1")
	w.Address = netip.MustParseAddr("10.20.0.99")
	built.VMs["lab-w-1"] = w // an earlier tripod's name, and another address
	if probs := CheckBuilt(built, l.Cluster, l.Layout); len(probs) > 0 {
		t.Errorf("a renamed worker refused: %v", probs)
	}
	w2 := built.VMs["lab-par-dc3-w-1"]
	w2.AZ, w2.VMID = "par-dc5", 1199
	built.VMs["lab-par-dc3-w-1"] = w2
	probs := CheckBuilt(built, l.Cluster, l.Layout)
	if len(probs) != 2 || !strings.Contains(probs[0].Message, "lab-par-dc3-w-1 cannot move from AZ par-dc5 to AZ par-dc3") ||
		!strings.Contains(probs[1].Message, "lab-par-dc3-w-1 cannot change VM ID from 1199 to 3001") {
		t.Errorf("problems %v", probs)
	}
}

// TestIdentityRoundTrip: the recorded identity reads back as written.
func TestIdentityRoundTrip(t *testing.T) {
	id := builtAs(loadEdited(t, lab))
	data, err := json.Marshal(id)
	if err != nil {
		t.Fatal(err)
	}
	var back Identity
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*id, back) {
		t.Errorf("round trip:\n%+v\n%+v", *id, back)
	}
	if id.Empty() || !NewIdentity(&Cluster{}).Empty() {
		t.Error("Empty is wrong")
	}
}

func keys(m map[string][]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestCheckBuiltOnlyWhatIsBuilt: a piece not built yet may still change,
// and what tripod down deleted (the VMs) may change for the next up; what
// stays (the network, the hosts) may not.
func TestCheckBuiltOnlyWhatIsBuilt(t *testing.T) {
	l := loadEdited(t, lab)
	built := NewIdentity(l.Cluster)
	built.RecordNetwork(l.Cluster)
	for _, h := range l.Layout.Hosts {
		built.RecordHost(h)
	}
	edited := loadEdited(t, lab, "vlan: 120", "vlan: 130\n  gateway: 10.20.0.52")
	check := func(want ...string) {
		t.Helper()
		var got []string
		for _, p := range CheckBuilt(built, edited.Cluster, edited.Layout) {
			got = append(got, p.Path)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("refused %v, want %v", got, want)
		}
	}
	check("network.vlan") // no VM carries the gateway yet
	for _, vm := range l.Layout.VMs {
		built.RecordVM(l.Cluster, vm)
	}
	check("network.vlan", "network.gateway")
	if !built.ForgetVMs() {
		t.Fatal("ForgetVMs changed nothing")
	}
	check("network.vlan")
}

// TestScaledInWorkerStaysBuilt: a worker scaled in is not refused, and it
// stays recorded, so the name coming back with another address is refused
// like any surviving worker's re-addressing.
func TestScaledInWorkerStaysBuilt(t *testing.T) {
	built := builtAs(loadEdited(t, lab))
	const last = "      count: 1\n      cores: 2\n      memory: 6GiB\n      disk: 40GiB\nnetwork:"
	back := loadEdited(t, lab, last, "      count: 1\n      addresses: [10.20.0.99]\n      cores: 2\n      memory: 6GiB\n      disk: 40GiB\nnetwork:")
	probs := CheckBuilt(built, back.Cluster, back.Layout)
	if len(probs) != 1 || probs[0].Path != "azs[2].workers.addresses[0]" || !strings.Contains(probs[0].Message, "lab-par-dc5-w-1 cannot change address from 10.20.0.187 to 10.20.0.99") {
		t.Errorf("problems %v", probs)
	}
}
