package stage

import (
	"slices"
	"strings"
	"testing"
)

// The hook and the command line are exactly the contract's shapes, which
// the simulator interprets the same way.
func TestEgressHookAndCommand(t *testing.T) {
	lines := egressHookLines("lab", "10.20.0.0/24")
	want := []string{
		"#!/bin/sh",
		"# tripod: egress for the VMs of cluster lab (managed by tripod; do not edit)",
		`[ "$IFACE" = "vmbr0" ] || exit 0`,
		"sysctl -qw net.ipv4.ip_forward=1",
		"iptables -t nat -C POSTROUTING -s 10.20.0.0/24 ! -d 10.20.0.0/24 -o vmbr0 -j MASQUERADE 2>/dev/null || iptables -t nat -A POSTROUTING -s 10.20.0.0/24 ! -d 10.20.0.0/24 -o vmbr0 -j MASQUERADE",
	}
	if !slices.Equal(lines, want) {
		t.Fatalf("hook lines:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	cmd, err := egressWriteCmd(lines)
	if err != nil {
		t.Fatal(err)
	}
	wantCmd := `printf '%s\n' '#!/bin/sh' '# tripod: egress for the VMs of cluster lab (managed by tripod; do not edit)' '[ "$IFACE" = "vmbr0" ] || exit 0' 'sysctl -qw net.ipv4.ip_forward=1' ` +
		`'iptables -t nat -C POSTROUTING -s 10.20.0.0/24 ! -d 10.20.0.0/24 -o vmbr0 -j MASQUERADE 2>/dev/null || iptables -t nat -A POSTROUTING -s 10.20.0.0/24 ! -d 10.20.0.0/24 -o vmbr0 -j MASQUERADE'` +
		` > /etc/network/if-up.d/tripod-egress`
	if cmd != wantCmd {
		t.Errorf("command:\n%s\nwant:\n%s", cmd, wantCmd)
	}
	if _, err := egressWriteCmd([]string{"echo 'quoted'"}); err == nil {
		t.Error("a line with a single quote was quoted anyway")
	}
	if got := egressHookText(lines); got != strings.Join(want, "\n")+"\n" {
		t.Errorf("hook text %q", got)
	}
}

func TestEgressObservationParsing(t *testing.T) {
	for out, want := range map[string]bool{"1\n": true, "0\n": false, "1": true} {
		if got, err := parseForwarding(out); err != nil || got != want {
			t.Errorf("parseForwarding(%q) = %v, %v", out, got, err)
		}
	}
	if _, err := parseForwarding("sysctl: cannot stat"); err == nil {
		t.Error("an unreadable answer was taken for a setting")
	}
	rules := "-P POSTROUTING ACCEPT\n-A POSTROUTING -s 10.20.0.0/24 ! -d 10.20.0.0/24 -o vmbr0 -j MASQUERADE\n"
	if !hasMasquerade(rules, "10.20.0.0/24") {
		t.Error("the rule was not found")
	}
	for _, other := range []string{
		"-P POSTROUTING ACCEPT\n",
		"-P POSTROUTING ACCEPT\n-A POSTROUTING -s 10.30.0.0/24 ! -d 10.30.0.0/24 -o vmbr0 -j MASQUERADE\n",
		"-P POSTROUTING ACCEPT\n-A POSTROUTING -s 10.20.0.0/24 -o vmbr0 -j MASQUERADE\n",
		"-P POSTROUTING ACCEPT\n-A POSTROUTING -s 10.20.0.0/24 ! -d 10.20.0.0/24 -o vmbr1 -j MASQUERADE\n",
	} {
		if hasMasquerade(other, "10.20.0.0/24") {
			t.Errorf("took %q for the rule", other)
		}
	}
}

// What to write is decided from what was seen: nothing when all is in
// place, otherwise every difference named.
func TestEgressDifferences(t *testing.T) {
	hook := egressHookText(egressHookLines("lab", "10.20.0.0/24"))
	ok := egressSeen{hook: hook, hookExists: true, forwarding: true, masquerade: true}
	if d := ok.differences(hook); len(d) != 0 {
		t.Errorf("in place, yet %v", d)
	}
	cases := map[string]egressSeen{
		"/etc/network/if-up.d/tripod-egress is missing":            {forwarding: true, masquerade: true},
		"/etc/network/if-up.d/tripod-egress differs from tripod's": {hook: "#!/bin/sh\n", hookExists: true, forwarding: true, masquerade: true},
		"net.ipv4.ip_forward is 0":                                 {hook: hook, hookExists: true, masquerade: true},
		"no MASQUERADE rule out of vmbr0":                          {hook: hook, hookExists: true, forwarding: true},
	}
	for want, seen := range cases {
		if d := seen.differences(hook); !slices.Equal(d, []string{want}) {
			t.Errorf("%+v: differences %v, want [%s]", seen, d, want)
		}
	}
	// After a reboot the hook is there but the live settings are not.
	if d := (egressSeen{}).differences(hook); len(d) != 3 {
		t.Errorf("nothing in place, yet only %v", d)
	}
}
