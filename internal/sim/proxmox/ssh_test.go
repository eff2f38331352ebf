package proxmox_test

import (
	"crypto/ed25519"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

func TestSSHAuthAndBasics(t *testing.T) {
	w := newWorld(t)
	w.addHost("pve1", "DC2", "198.51.100.11")
	_, other, _ := ed25519.GenerateKey(nil)
	otherKey, _ := ssh.NewSignerFromKey(other)
	if _, err := w.dialSSH("pve1", "root", otherKey); err == nil {
		t.Fatal("an unknown key was accepted")
	}
	if _, err := w.dialSSH("pve1", "admin", w.key); err == nil {
		t.Fatal("a user other than root was accepted")
	}
	if out := w.mustSSH("pve1", "hostname"); out != "pve1\n" {
		t.Fatalf("hostname = %q", out)
	}
	if out := w.mustSSH("pve1", "pveversion"); !strings.HasPrefix(out, "pve-manager/8.4.1/") {
		t.Fatalf("pveversion = %q", out)
	}
	_, errOut, status := w.ssh("pve1", "frobnicate --now")
	if status != 127 || errOut != "bash: frobnicate: command not found\n" {
		t.Fatalf("unknown command: exit %d, stderr %q", status, errOut)
	}
	if errs := w.env.Log.Errors(); len(errs) != 1 || errs[0].API != simcore.APISSH || errs[0].Kind != "unmodelled" {
		t.Fatalf("recorded errors = %+v", errs)
	}
	if snap := w.env.Log.Snapshot(); snap.APIs[simcore.APISSH].Routes["hostname"] == nil {
		t.Fatalf("ssh commands not counted: %+v", snap.APIs[simcore.APISSH])
	}
}

var rttLine = regexp.MustCompile(`rtt min/avg/max/mdev = ([0-9.]+)/([0-9.]+)/([0-9.]+)/([0-9.]+) ms`)

func TestPingBetweenDatacenters(t *testing.T) {
	w := newWorld(t)
	w.three()
	w.addHost("ams1", "nl-ams-1", "203.0.113.21")
	for _, tc := range []struct{ from, to string }{{"pve1", "pve2"}, {"pve1", "ams1"}} {
		out := w.mustSSH(tc.from, "ping -c 3 -q "+w.hosts[tc.to].PublicIP)
		m := rttLine.FindStringSubmatch(out)
		if m == nil || !strings.Contains(out, "3 packets transmitted, 3 received, 0% packet loss") {
			t.Fatalf("ping output:\n%s", out)
		}
		avg, _ := strconv.ParseFloat(m[2], 64)
		want := float64(w.env.RTT(w.hosts[tc.from].Placement, w.hosts[tc.to].Placement)) / float64(time.Millisecond)
		if fmt.Sprintf("%.3f", avg) != fmt.Sprintf("%.3f", want) {
			t.Errorf("%s -> %s avg %v ms; want %v", tc.from, tc.to, avg, want)
		}
	}
	w.env.Faults.SetDark("DC3", true)
	out, _, status := w.ssh("pve1", "ping -c 2 -q "+w.hosts["pve2"].PublicIP)
	if status != 1 || !strings.Contains(out, "100% packet loss") {
		t.Fatalf("ping into a dark DC: exit %d\n%s", status, out)
	}
}

// Private addresses answer only once both hosts have the VLAN up.
func TestPingPrivateNetwork(t *testing.T) {
	w := newWorld(t)
	w.three()
	target := "10.20.0.12"
	if _, _, status := w.ssh("pve1", "ping -c 1 -q "+target); status == 0 {
		t.Fatal("private address answered before it was configured")
	}
	privateNet(t, w, w.client("pve2"), "pve2", target+"/24")
	if out, _, status := w.ssh("pve1", "ping -c 1 -q "+target); status == 0 {
		t.Fatalf("pve1 reached %s without a leg on the VLAN:\n%s", target, out)
	}
	privateNet(t, w, w.client("pve1"), "pve1", "10.20.0.11/24")
	w.mustSSH("pve1", "ping -c 1 -q "+target)
}
