package proxmox_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// echo serves a private simulated address that answers each line it reads.
func echo(t *testing.T, env *simcore.Env, addr, placement, service string) {
	t.Helper()
	ln, err := env.Listen(addr, placement, service)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(c, c) }()
		}
	}()
}

func roundTrip(c net.Conn) (string, error) {
	if _, err := io.WriteString(c, "ping\n"); err != nil {
		return "", err
	}
	return bufio.NewReader(c).ReadString('\n')
}

func wantRejected(t *testing.T, err error, reason ssh.RejectionReason, msg string) {
	t.Helper()
	var oc *ssh.OpenChannelError
	if !errors.As(err, &oc) || oc.Reason != reason || oc.Message != msg {
		t.Fatalf("dial: %v; want rejection %v %q", err, reason, msg)
	}
}

// With the operator on the public side a VM's Talos port is not dialable
// directly, and a host's sshd forwards to it only once the host's leg on
// the VLAN is up.
func TestSSHForwardsOntoTheVLANOnly(t *testing.T) {
	w := newWorld(t)
	w.env.SetOperator(simcore.OperatorPublic)
	w.three()
	const vm = "10.20.0.21:50000"
	echo(t, w.env, vm, "DC3", "talos")
	if _, ok := w.env.Net.Lookup(vm); ok {
		t.Fatal("the operator can dial a private address directly")
	}
	cl, err := w.dialSSH("pve1", "root", w.key)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()

	_, err = cl.Dial("tcp", vm)
	wantRejected(t, err, ssh.ConnectionFailed, "No route to host")
	echo(t, w.env, "k8s.lab.internal:6443", "", "kube")
	_, err = cl.Dial("tcp", "k8s.lab.internal:6443")
	wantRejected(t, err, ssh.ConnectionFailed, "No route to host")

	privateNet(t, w, w.client("pve1"), "pve1", "10.20.0.11/24")
	for i := 0; i < 2; i++ { // two channels over the one connection
		c, err := cl.Dial("tcp", vm)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := roundTrip(c); err != nil || got != "ping\n" {
			t.Fatalf("through pve1: %q %v", got, err)
		}
		c.Close()
	}
	// The Kubernetes endpoint by name (the VIP the VLAN's DNS answers for).
	if _, ok := w.env.Net.Lookup("k8s.lab.internal:6443"); ok {
		t.Fatal("the operator can dial the Kubernetes endpoint directly")
	}
	c, err := cl.Dial("tcp", "k8s.lab.internal:6443")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := roundTrip(c); err != nil || got != "ping\n" {
		t.Fatalf("kube through pve1: %q %v", got, err)
	}
	c.Close()
	_, err = cl.Dial("tcp", "10.20.0.99:50000")
	wantRejected(t, err, ssh.ConnectionFailed, "Connection refused")
	_, err = cl.Dial("tcp", w.hosts["pve2"].PublicIP+":8006")
	wantRejected(t, err, ssh.Prohibited, "open failed")
	_, err = cl.Dial("tcp", "10.30.0.5:50000") // a subnet pve1 has no leg on
	wantRejected(t, err, ssh.ConnectionFailed, "No route to host")

	w.sim.OnPrivateLink = func(string) bool { return false } // the RPN membership went away
	_, err = cl.Dial("tcp", vm)
	wantRejected(t, err, ssh.ConnectionFailed, "No route to host")
	w.sim.OnPrivateLink = nil

	st := w.env.Log.Snapshot().APIs[simcore.APISSH].Routes["direct-tcpip talos"]
	if st == nil || st.Statuses["open"] != 2 || st.Statuses["no-route"] != 2 || st.Mutating != 0 {
		t.Fatalf("forwards recorded: %+v", st)
	}
}

// A forward to a VM in a dark datacenter opens but never answers.
func TestSSHForwardIntoDarkPlacementHangs(t *testing.T) {
	w := newWorld(t)
	w.env.SetOperator(simcore.OperatorPublic)
	w.three()
	echo(t, w.env, "10.20.0.22:50000", "DC5", "talos")
	privateNet(t, w, w.client("pve1"), "pve1", "10.20.0.11/24")
	cl, err := w.dialSSH("pve1", "root", w.key)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	w.env.Faults.SetDark("DC5", true)
	c, err := cl.Dial("tcp", "10.20.0.22:50000")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() { s, _ := roundTrip(c); got <- s }()
	select {
	case s := <-got:
		t.Fatalf("a dark datacenter answered %q", s)
	case <-time.After(200 * time.Millisecond):
	}
	c.Close()
}
