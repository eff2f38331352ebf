package stage

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/netx"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

func jumpKeys(js []netx.Jump) []string {
	var out []string
	for _, j := range js {
		out = append(out, j.Key)
	}
	return out
}

// TestRouterOrdersHostsByAZ: a private destination goes through its own
// host first, then the other hosts of its AZ, then the other AZs; the VIP
// and a DNS-named endpoint through the control planes' AZs; public
// destinations directly.
func TestRouterOrdersHostsByAZ(t *testing.T) {
	inv, err := inventory.Load("../../inventories/prod-3az.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e := NewEnv(Deps{Inventory: inv})
	r := newHostRouter(e, true)
	l := e.Layout()
	azHosts := map[string][]string{}
	for _, h := range l.Hosts {
		azHosts[h.AZ] = append(azHosts[h.AZ], h.Name)
	}
	for _, vm := range []inventory.VMPlan{l.ControlPlanes()[1], l.Workers()[len(l.Workers())-1]} {
		got := jumpKeys(r.Jumps(vm.Address.String() + ":50000"))
		if len(got) != len(l.Hosts) || got[0] != vm.Host {
			t.Fatalf("%s on %s: jumps %v, want its own host first, then every other", vm.Name, vm.Host, got)
		}
		own := azHosts[vm.AZ]
		if !sameSet(got[:len(own)], own) {
			t.Errorf("%s: jumps %v, want the hosts of %s (%v) before the others", vm.Name, got, vm.AZ, own)
		}
	}
	h := l.Hosts[len(l.Hosts)-1]
	if got := jumpKeys(r.Jumps(h.PrivateAddress.String() + ":22")); got[0] != h.Name {
		t.Errorf("%s's bridge address: jumps %v, want %s first", h.Name, got, h.Name)
	}
	cps := l.ControlPlanes()
	for _, dest := range []string{inv.Cluster.Talos.VIP.String() + ":6443", "k8s.prod.internal:6443"} {
		got := jumpKeys(r.Jumps(dest))
		if len(got) != len(l.Hosts) || got[0] != cps[0].Host {
			t.Errorf("%s: jumps %v, want the control planes' hosts first", dest, got)
		}
	}
	for _, dest := range []string{"198.51.100.11:8006", "api.scaleway.com:443", "factory.talos.dev:443", "10.99.0.1:22"} {
		if got := r.Jumps(dest); len(got) != 0 {
			t.Errorf("%s is not on the private network, yet goes through %v", dest, jumpKeys(got))
		}
	}
	// Before any step reached the hosts, a jump says so rather than dial.
	if j := r.Jumps(cps[0].Address.String() + ":50000")[0]; j.Err == nil {
		t.Errorf("a jump without a known address: %+v, want its reason", j)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestAccessDirectKeepsTheDialer: access.via direct builds no route.
func TestAccessDirectKeepsTheDialer(t *testing.T) {
	inv, err := inventory.Load("../../inventories/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := netx.Direct()
	if e := NewEnv(Deps{Inventory: inv, Dialer: d}); e.Dialer == d {
		t.Error("access.via ssh (the default) left the dialer without its route")
	}
	c := *inv.Cluster
	c.Access.Via = inventory.ViaDirect
	direct := *inv
	direct.Cluster = &c
	if e := NewEnv(Deps{Inventory: &direct, Dialer: d}); e.Dialer == d {
		t.Error("access.via direct without allowedSources left the Proxmox API without its route through SSH")
	}
	c.Access.AllowedSources = []string{"203.0.113.0/24"}
	if e := NewEnv(Deps{Inventory: &direct, Dialer: d}); e.Dialer != d {
		t.Error("access.via direct with allowedSources wrapped the dialer")
	}
}

// TestPublicOperatorReachesTheNodesThroughTheHosts: with the operator on
// the internet (the kit's default), lab comes up to its first apply, every
// Talos connection going through a host's SSH; a plan afterwards, from a
// state that has forgotten the hosts' SSH keys, goes through them too and
// pins nothing on disk.
func TestPublicOperatorReachesTheNodesThroughTheHosts(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml")
	rep, err := tw.up(Apply)
	requireClean(t, rep, err)
	log := tw.World.Env.Log.Snapshot()
	fw := log.APIs[simcore.APISSH].Routes["direct-tcpip talos"]
	if fw == nil || fw.Statuses["open"] == 0 {
		t.Fatalf("no Talos connection went through a host's SSH: %+v", log.APIs[simcore.APISSH])
	}
	if log.APIs[simcore.APITalos].Total == 0 {
		t.Fatal("the Talos API was never reached")
	}

	var forgotten []string
	for _, h := range tw.Env.Layout().Hosts {
		p := filepath.Join(tw.Env.State.Path, "pins", h.Name+".ssh")
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		forgotten = append(forgotten, p)
	}
	opened := fw.Statuses["open"]
	tw.Env = tw.fresh()
	rep, err = tw.plan(Apply)
	requireClean(t, rep, err)
	if now := tw.World.Env.Log.Snapshot().APIs[simcore.APISSH].Routes["direct-tcpip talos"].Statuses["open"]; now == opened {
		t.Error("the plan did not reach the nodes through the hosts")
	}
	for _, p := range forgotten {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("a dry run wrote the pin %s", p)
		}
	}
}

// TestRouteGoesAroundBusyHosts: hosts whose sshd refuses a quarter of the
// channels as too busy cost the route another host or another poll, never
// the run.
func TestRouteGoesAroundBusyHosts(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml", withFaults("ssh.5xx=0.25"))
	rep, err := tw.up(Apply)
	requireClean(t, rep, err)
	routes := tw.World.Env.Log.Snapshot().APIs[simcore.APISSH].Routes
	busy := 0
	for route, c := range routes {
		if route == "direct-tcpip" || route == "direct-tcpip talos" {
			busy += c.Statuses["resource-shortage"]
		}
	}
	if busy == 0 || routes["direct-tcpip talos"].Statuses["open"] == 0 {
		t.Fatalf("forwards: %+v; want some refused as busy and the nodes reached anyway", routes)
	}
}

// TestRouteFallsBackFromADarkAZ: once the AZ of the first control plane's
// host is dark, the Kubernetes endpoint (the VIP, whose first jump is that
// host) is still reached, through a host of another AZ, within a few
// bounded attempts.
func TestRouteFallsBackFromADarkAZ(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml", withProfile(simcore.Instant, 0.01))
	rep, err := tw.up("")
	requireClean(t, rep, err)
	first, _ := tw.Env.Layout().Host(tw.Env.Layout().ControlPlanes()[0].Host)
	vip := tw.Env.Cluster().Talos.VIP.String() + ":6443"
	if got := jumpKeys(newHostRouter(tw.Env, true).Jumps(vip)); got[0] != first.Name {
		t.Fatalf("the VIP's first jump is %s, want %s", got[0], first.Name)
	}
	kube := func() int {
		return tw.World.Env.Log.Snapshot().APIs[simcore.APISSH].Routes["direct-tcpip kube"].Statuses["open"]
	}
	before := kube()
	tw.World.Env.Faults.SetDark(first.Placement, true)
	// The simulator darkens new connections; the route connects again, as
	// after the host's connection broke.
	tw.Env.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	c, err := tw.Env.Dialer.DialContext(ctx, "tcp", vip)
	if err != nil {
		t.Fatalf("the VIP with %s dark: %v", first.Placement, err)
	}
	c.Close()
	took := time.Since(start)
	t.Logf("reached %s with %s dark in %v", vip, first.Placement, took)
	if attempt := tw.Env.Timing.Attempt(10 * time.Second); took < attempt {
		t.Errorf("reached in %v, less than one attempt (%v) at the dark host: it was not tried first", took, attempt)
	}
	start = time.Now()
	if c, err := tw.Env.Dialer.DialContext(ctx, "tcp", vip); err != nil {
		t.Fatalf("the VIP again: %v", err)
	} else {
		c.Close()
	}
	if took := time.Since(start); took >= tw.Env.Timing.Attempt(10*time.Second) {
		t.Errorf("the second dial took %v: the dark host was tried first again", took)
	}
	if kube() != before+2 {
		t.Errorf("forwards to the Kubernetes API: %d, want %d", kube(), before+2)
	}
}
