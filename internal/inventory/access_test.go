package inventory

import "testing"

// TestAccessDefaultsToSSH: an inventory without access reaches the private
// network through the hosts' SSH; one that says direct keeps it.
func TestAccessDefaultsToSSH(t *testing.T) {
	l, err := Load("testdata/valid-minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Cluster.Access.Via; got != ViaSSH {
		t.Errorf("access.via defaulted to %q, want ssh", got)
	}
	c := Cluster{Access: Access{Via: ViaDirect}}
	SetDefaults(&c)
	if c.Access.Via != ViaDirect {
		t.Errorf("access.via direct became %q", c.Access.Via)
	}
}
