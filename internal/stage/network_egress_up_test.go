package stage

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/run"
)

// egressMutations are the hosts whose NAT the report changed, once each.
func egressMutations(rep *run.Report) []string {
	var out []string
	for _, m := range rep.Mutations() {
		if host, ok := strings.CutPrefix(m.Object, "egress NAT of "); ok && !slices.Contains(out, host) {
			out = append(out, host)
		}
	}
	return out
}

// checkEgressInPlace reads every host's NAT back over SSH, as a second
// tripod would: the hook, forwarding and the rule.
func checkEgressInPlace(t *testing.T, w *pveWorld) {
	t.Helper()
	e := w.Env
	subnet := e.Cluster().Network.Subnet.Masked().String()
	hook := egressHookText(egressHookLines(e.Cluster().Name, subnet))
	for _, h := range e.Layout().Hosts {
		seen, err := e.observeEgress(context.Background(), w.ranStep(), h.Name, subnet)
		if err != nil {
			t.Errorf("%s: %v", h.Name, err)
			continue
		}
		if d := seen.differences(hook); len(d) > 0 {
			t.Errorf("%s: %v", h.Name, d)
		}
	}
}

// ranStep stands for a step of w.Env's first run: that run built the
// env's Proxmox fleet (with the hosts' public addresses it observed), and a
// built fleet does not consult the step again.
func (w *pveWorld) ranStep() *run.Step { return nil }

// Needs the simulator branch (issue 13): main's simulated hosts have no
// cat/sysctl/iptables, so the network stage fails there with "command not
// found". Every host gets its hook once; a second up and a plan change
// nothing; a host whose forwarding was lost (a reboot before ifupdown ran
// the hook, an operator) is repaired, and only that host.
func TestHostNATIsWrittenOnceAndRepaired(t *testing.T) {
	w := newPVEWorld(t, "../../inventories/lab.yaml")
	rep, err := w.run(w.Env, Network, false)
	requirePVEClean(t, rep, err)
	if got := egressMutations(rep); len(got) != len(w.Env.Layout().Hosts) {
		t.Errorf("NAT written on %v, want once on each of %d hosts", got, len(w.Env.Layout().Hosts))
	}
	checkEgressInPlace(t, w)
	checkConvergedAt(t, w, Network)

	host := w.Env.Layout().Hosts[1].Name
	if err := w.Env.node(w.ranStep(), host).Command(context.Background(), "sysctl -qw net.ipv4.ip_forward=0"); err != nil {
		t.Fatal(err)
	}
	rep, err = w.run(w.fresh(), Network, false)
	requirePVEClean(t, rep, err)
	if got := egressMutations(rep); len(got) != 1 || got[0] != host {
		t.Errorf("after %s lost forwarding, NAT written on %v", host, got)
	}
	checkEgressInPlace(t, w)
}

// labWithGateway is lab.yaml with network.gateway set to gw, written to a
// temporary directory (its patch file found from there).
func labWithGateway(t *testing.T, gw string) string {
	t.Helper()
	data, err := os.ReadFile("../../inventories/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	templates, err := filepath.Abs("../../templates/common.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rel, err := filepath.Rel(dir, templates) // patch files are relative to the inventory
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(data), "  vlan: 120\n", "  vlan: 120\n  gateway: "+gw+"\n", 1)
	s = strings.Replace(s, "file: ../templates/common.yaml", "file: "+rel, 1)
	path := filepath.Join(dir, "lab.yaml")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// With network.gateway set, a router does the NAT: there is no egress
// target and no host is asked about NAT. Runs on main's simulator too.
func TestExplicitGatewayConfiguresNoHostNAT(t *testing.T) {
	path := labWithGateway(t, "10.20.0.2")
	w := newPVEWorld(t, path)
	for _, tg := range (&network{w.Env}).Targets() {
		if strings.HasPrefix(tg.ID, egressTargetPrefix) {
			t.Errorf("target %s exists with network.gateway set", tg.ID)
		}
	}
	rep, err := w.run(w.Env, Network, false)
	requirePVEClean(t, rep, err)
	if got := egressMutations(rep); len(got) != 0 {
		t.Errorf("NAT written on %v with network.gateway set", got)
	}
	var routes map[string]bool
	if ssh := w.World.Env.Log.Snapshot().APIs["ssh"]; ssh != nil {
		routes = map[string]bool{}
		for r := range ssh.Routes {
			routes[r] = true
		}
	}
	for route := range routes {
		if strings.HasPrefix(route, "iptables") || strings.HasPrefix(route, "sysctl") || strings.Contains(route, "tripod-egress") {
			t.Errorf("a host was asked %q with network.gateway set", route)
		}
	}
}
