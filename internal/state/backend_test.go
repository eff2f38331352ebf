package state

import "testing"

// A remote state stores every file of the working copy but the ones that
// only mean something on this machine.
func TestLocalOnlyLeavesOutThisMachinesFiles(t *testing.T) {
	for rel, want := range map[string]bool{
		"lock":                                   true,
		"journal.jsonl":                          true,
		"talos/.cp-1.yaml.tmp-123":               true,
		"local/tunnel/kubeconfig":                true,
		"local/tunnel/talosconfig":               true,
		"backups/20261202T052036Z/etcd.snapshot": true,
		"backups/.partial-20261202T052036Z/x":    true,
		"backupsnot/x":                           false,
		"kubeconfig":                             false,
		"talosconfig":                            false,
		"pins/lab-pve-1.ssh":                     false,
		"localized/not-the-local-dir":            false,
		"secrets/root-password.lab-1":            false,
	} {
		if got := LocalOnly(rel); got != want {
			t.Errorf("LocalOnly(%q) = %v, want %v", rel, got, want)
		}
	}
}
