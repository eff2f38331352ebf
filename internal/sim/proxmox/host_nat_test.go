package proxmox_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/sim/proxmox"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

const (
	hookPath = "/etc/network/if-up.d/tripod-egress"
	rule     = "-A POSTROUTING -s 10.20.0.0/24 ! -d 10.20.0.0/24 -o vmbr0 -j MASQUERADE"
	badRule  = "iptables: Bad rule (does a matching rule exist in that chain?).\n"
)

// observe is what tripod reads to decide whether a host's NAT is in place.
func observe(t *testing.T, w *world, host string) (hook, forward, nat string) {
	t.Helper()
	hook, _, _ = w.ssh(host, "cat "+hookPath)
	forward = w.mustSSH(host, "sysctl -n net.ipv4.ip_forward")
	nat = w.mustSSH(host, "iptables -t nat -S POSTROUTING")
	return hook, forward, nat
}

// The contract's observation and its one command line, as tripod sends
// them, with iptables' and bash's own answers.
func TestEgressHookWrittenAndRun(t *testing.T) {
	w := newWorld(t)
	w.addHost("pve1", "DC2", "198.51.100.11")
	out, errOut, status := w.ssh("pve1", "cat "+hookPath)
	if status != 1 || out != "" || errOut != "cat: "+hookPath+": No such file or directory\n" {
		t.Fatalf("cat of a missing hook: exit %d, %q, %q", status, out, errOut)
	}
	if _, f, nat := observe(t, w, "pve1"); f != "0\n" || nat != "-P POSTROUTING ACCEPT\n" {
		t.Fatalf("fresh host: forward %q, nat %q", f, nat)
	}
	check := "iptables -t nat -C POSTROUTING -s 10.20.0.0/24 ! -d 10.20.0.0/24 -o vmbr0 -j MASQUERADE"
	if _, errOut, status := w.ssh("pve1", check); status != 1 || errOut != badRule {
		t.Fatalf("-C of a missing rule: exit %d, %q", status, errOut)
	}

	cmd := proxmox.EgressHookCommand("lab", "10.20.0.0/24")
	if out, errOut, status := w.ssh("pve1", cmd); status != 0 || out != "" || errOut != "" {
		t.Fatalf("hook command: exit %d, %q, %q", status, out, errOut)
	}
	want := strings.Join(proxmox.EgressHookLines("lab", "10.20.0.0/24"), "\n") + "\n"
	hook, f, nat := observe(t, w, "pve1")
	if hook != want || f != "1\n" || nat != "-P POSTROUTING ACCEPT\n"+rule+"\n" {
		t.Fatalf("after the hook: file %q, forward %q, nat %q", hook, f, nat)
	}
	if _, _, status := w.ssh("pve1", check); status != 0 {
		t.Fatal("-C of the rule just added failed")
	}
	// Running it again adds nothing: the hook checks before it appends.
	w.mustSSH("pve1", "IFACE=vmbr0 "+hookPath)
	if _, _, nat := observe(t, w, "pve1"); nat != "-P POSTROUTING ACCEPT\n"+rule+"\n" {
		t.Fatalf("second run: nat %q", nat)
	}
	// For another interface the hook exits at once.
	w.mustSSH("pve1", "iptables -t nat -D POSTROUTING -s 10.20.0.0/24 ! -d 10.20.0.0/24 -o vmbr0 -j MASQUERADE")
	w.mustSSH("pve1", "IFACE=vmbr1 "+hookPath)
	if _, _, nat := observe(t, w, "pve1"); nat != "-P POSTROUTING ACCEPT\n" {
		t.Fatalf("IFACE=vmbr1 run changed nat: %q", nat)
	}
	if _, errOut, status := w.ssh("pve1", "iptables -t nat -D POSTROUTING -s 10.20.0.0/24 ! -d 10.20.0.0/24 -o vmbr0 -j MASQUERADE"); status != 1 || errOut != badRule {
		t.Fatalf("-D of a missing rule: exit %d, %q", status, errOut)
	}
	if errs := w.env.Log.Errors(); len(errs) != 0 {
		t.Fatalf("recorded errors: %+v", errs)
	}
	ssh := w.env.Log.Snapshot().APIs[simcore.APISSH]
	for route, mutating := range map[string]bool{"printf": true, "chmod": true, hookPath: true, "cat": false,
		"sysctl": false, "iptables -S": false, "iptables -C": false, "iptables -D": true} {
		r := ssh.Routes[route]
		if r == nil || (r.Mutating > 0) != mutating {
			t.Errorf("route %q: %+v (want mutating %v)", route, r, mutating)
		}
	}
	if ssh.Routes["sysctl -w"] != nil || ssh.Routes["iptables -A"] != nil {
		t.Errorf("the hook's own commands were counted as requests: %+v", ssh.Routes)
	}
}

// Live settings go with a reboot and come back from the hook as vmbr0
// comes up; files stay, and both survive a save and load.
func TestEgressAcrossRebootAndReload(t *testing.T) {
	w := newWorld(t)
	h := w.addHost("pve1", "DC2", "198.51.100.11")
	w.addHost("pve2", "DC3", "198.51.100.12")
	w.mustSSH("pve1", proxmox.EgressHookCommand("lab", "10.20.0.0/24"))
	w.mustSSH("pve2", "sysctl -w net.ipv4.ip_forward=1 && iptables -t nat -A "+strings.TrimPrefix(rule, "-A "))
	reload(t, w)
	if _, f, nat := observe(t, w, "pve1"); f != "1\n" || !strings.Contains(nat, rule) {
		t.Fatalf("after reload: forward %q, nat %q", f, nat)
	}
	w.sim.RebootHost(h.ServerID)
	w.sim.RebootHost(w.hosts["pve2"].ServerID)
	hook, f, nat := observe(t, w, "pve1")
	if hook == "" || f != "1\n" || nat != "-P POSTROUTING ACCEPT\n"+rule+"\n" {
		t.Fatalf("pve1 after reboot: hook %q, forward %q, nat %q", hook, f, nat)
	}
	if _, f, nat := observe(t, w, "pve2"); f != "0\n" || nat != "-P POSTROUTING ACCEPT\n" {
		t.Fatalf("pve2 (no hook) after reboot: forward %q, nat %q", f, nat)
	}
}

// A hook runs only its modelled lines; anything else fails as bash would
// and is recorded as unmodelled. A file that is not executable is refused.
func TestHookScriptLimits(t *testing.T) {
	w := newWorld(t)
	w.addHost("pve1", "DC2", "198.51.100.11")
	w.mustSSH("pve1", `printf '%s\n' '#!/bin/sh' 'curl -s http://example.com' > /etc/network/if-up.d/other`)
	if _, errOut, status := w.ssh("pve1", "/etc/network/if-up.d/other"); status != 126 || !strings.Contains(errOut, "Permission denied") {
		t.Fatalf("non-executable hook: exit %d, %q", status, errOut)
	}
	w.mustSSH("pve1", "chmod +x /etc/network/if-up.d/other")
	if _, _, status := w.ssh("pve1", "/etc/network/if-up.d/other"); status != 127 {
		t.Fatalf("hook with an unmodelled line: exit %d", status)
	}
	if errs := w.env.Log.Errors(); len(errs) != 1 || errs[0].Kind != "unmodelled" {
		t.Fatalf("errors = %+v", errs)
	}
	if _, errOut, status := w.ssh("pve1", "printf x > /nope/file"); status != 1 || errOut != "bash: /nope/file: No such file or directory\n" {
		t.Fatalf("write into a missing directory: exit %d, %q", status, errOut)
	}
	if out := w.mustSSH("pve1", "echo hidden >/dev/null; echo shown 2>/dev/null"); out != "shown\n" {
		t.Fatalf("/dev/null redirections: %q", out)
	}
}

// The host's NAT is what decides a VM's egress: the gateway's host must
// hold the address, forward, masquerade, be lit and not drop forwarded
// traffic.
func TestEgressThroughHost(t *testing.T) {
	w := newWorld(t)
	w.addHost("pve1", "DC2", "198.51.100.11")
	vm := simcore.EgressFrom{Address: "10.20.0.50/24", Placement: "DC2", Gateway: "10.20.0.11", Resolvers: []string{"51.159.47.28"}}
	dst := netip.MustParseAddr("104.16.0.1")
	reason := func() string {
		_, err := w.env.Egress(vm, dst)
		if err == nil {
			return ""
		}
		return err.(*simcore.EgressError).Reason
	}
	if r := reason(); !strings.Contains(r, "no host holds") {
		t.Fatalf("before the VLAN: %q", r)
	}
	privateNet(t, w, w.client("pve1"), "pve1", "10.20.0.11/24")
	if r := reason(); !strings.Contains(r, "does not forward") {
		t.Fatalf("before NAT: %q", r)
	}
	w.mustSSH("pve1", "sysctl -qw net.ipv4.ip_forward=1")
	if r := reason(); !strings.Contains(r, "does not masquerade") {
		t.Fatalf("forwarding only: %q", r)
	}
	w.mustSSH("pve1", proxmox.EgressHookCommand("lab", "10.20.0.0/24"))
	if via, err := w.env.Egress(vm, dst); err != nil || via != "pve1" {
		t.Fatalf("with NAT: via %q, %v", via, err)
	}
	if err := w.env.PullImage(vm, "factory.talos.dev/installer/abc:v1.9.5"); err != nil {
		t.Fatalf("pull: %v", err)
	}
	spec, _ := simcore.ParseFaults("noegress=pve1")
	w.env.Faults.Set(spec)
	if r := reason(); !strings.Contains(r, "drops forwarded") {
		t.Fatalf("noegress: %q", r)
	}
	w.env.Faults.Set(simcore.FaultSpec{Dark: map[string]bool{}, NoEgress: map[string]bool{}})
	w.env.Faults.SetDark("DC2", true)
	if r := reason(); r == "" {
		t.Fatal("egress through a dark DC")
	}
	w.env.Faults.SetDark("DC2", false)
	vm.Resolvers = []string{"10.20.0.11"}
	err := w.env.PullImage(vm, "factory.talos.dev/installer/abc:v1.9.5")
	if err == nil || !strings.Contains(err.Error(), "lookup factory.talos.dev on 10.20.0.11:53: dial udp 10.20.0.11:53: i/o timeout") {
		t.Fatalf("pull with a private resolver: %v", err)
	}
}
