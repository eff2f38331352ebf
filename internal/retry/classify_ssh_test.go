package retry

import (
	"errors"
	"fmt"
	"syscall"
	"testing"

	"golang.org/x/crypto/ssh"
)

// A jump host that cannot connect yet (its private leg is not up, the node
// boots) is worth asking again; one whose sshd forbids the forward is not,
// unless another jump host's attempt is.
func TestSSHChannelRefusals(t *testing.T) {
	noRoute := &ssh.OpenChannelError{Reason: ssh.ConnectionFailed, Message: "No route to host"}
	busy := &ssh.OpenChannelError{Reason: ssh.ResourceShortage, Message: "too many sessions"}
	prohibited := &ssh.OpenChannelError{Reason: ssh.Prohibited, Message: "open failed"}
	through := func(host string, err error) error { return fmt.Errorf("through %s: %w", host, err) }
	for _, c := range []struct {
		name      string
		err       error
		transient bool
		refused   bool
		busy      bool
	}{
		{"no route", fmt.Errorf("failed to reach 10.20.0.50:50000 through SSH: %w", errors.Join(through("pve1", noRoute))), true, false, false},
		{"busy", through("pve1", busy), true, false, true},
		{"prohibited", through("pve1", prohibited), false, true, false},
		{"prohibited, then no route", errors.Join(through("pve1", prohibited), through("pve2", noRoute)), true, false, false},
		{"prohibited, then busy", errors.Join(through("pve1", prohibited), through("pve2", busy)), true, false, true},
		{"prohibited, then a refused SSH", errors.Join(through("pve1", prohibited), through("pve2", syscall.ECONNREFUSED)), true, false, false},
		{"not SSH", errors.New("bad request"), false, false, false},
	} {
		if got := Default(c.err).Class == Transient; got != c.transient {
			t.Errorf("%s: transient %v, want %v", c.name, got, c.transient)
		}
		if got := ForwardRefused(c.err); got != c.refused {
			t.Errorf("%s: ForwardRefused %v, want %v", c.name, got, c.refused)
		}
		if got := Busy(c.err); got != c.busy {
			t.Errorf("%s: Busy %v, want %v", c.name, got, c.busy)
		}
	}
}
