package stage

import (
	"maps"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/scaleway"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// TestFailedInstallIsRetriedOnItsHostOnly: the simulator fails lab-pve-2's
// first install; tripod reinstalls that host once and leaves the others
// alone. The realistic profile, scaled down, exercises the polling.
func TestFailedInstallIsRetriedOnItsHostOnly(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml", withFaults("install-fail=lab-pve-2"), withProfile(simcore.Realistic, 0.0005))
	var warned []string
	r := &run.Runner{Stages: scwStages(tw.Env), Until: OS, Pools: Pools, Facts: &run.Facts{}, Sink: run.SinkFunc(func(e run.Event) {
		if e.Kind == run.EventWarn {
			warned = append(warned, e.Target+": "+e.Message)
		}
	})}
	rep, err := r.Run(t.Context())
	requireClean(t, rep, err)
	installs := map[string][]string{}
	for _, s := range rep.Steps {
		for _, m := range s.Mutations {
			if s.Key.Stage == OS && m.Verb != "register" {
				installs[s.Key.Target] = append(installs[s.Key.Target], m.Verb)
			}
		}
	}
	for _, h := range tw.Env.Layout().Hosts {
		want := "install"
		if h.Name == "lab-pve-2" {
			want = "install,reinstall"
		}
		if got := strings.Join(installs[h.Name], ","); got != want {
			t.Errorf("%s: %s, want %s", h.Name, got, want)
		}
	}
	if len(warned) != 1 || !strings.HasPrefix(warned[0], "lab-pve-2: install of Proxmox VE on server") {
		t.Errorf("warnings: %q", warned)
	}
	if n := served(tw, "POST /dedibox/v1/zones/{zone}/servers/{server_id}/install"); n != 4 {
		t.Errorf("%d installs were sent, want 4", n)
	}
	assertBuilt(t, tw)
	assertNoMutations(t, tw, OS)
}

// TestInstallKeepsSecretsOutOfEvents: the root password and the SSH private
// key go to the secrets store and the install request, nowhere else.
func TestInstallKeepsSecretsOutOfEvents(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/elastic-metal.yaml", withPreload(preload(t, emStock)))
	var events []string
	r := &run.Runner{Stages: scwStages(tw.Env), Until: OS, Pools: Pools, Facts: &run.Facts{}, Sink: run.SinkFunc(func(e run.Event) {
		events = append(events, e.Message+e.Error)
	})}
	rep, err := r.Run(t.Context())
	requireClean(t, rep, err)
	key, err := tw.Env.State.Secrets.Get(secretSSHKey)
	if err != nil || !strings.Contains(string(key), "OPENSSH PRIVATE KEY") {
		t.Fatalf("SSH key secret: %v", err)
	}
	for _, h := range tw.Env.Layout().Hosts {
		pw, err := tw.Env.State.Secrets.Get(secretRootPassword(h.Name))
		if err != nil || len(pw) < 20 {
			t.Fatalf("root password of %s: %v (%d chars)", h.Name, err, len(pw))
		}
		for _, ev := range events {
			if strings.Contains(ev, string(pw)) {
				t.Fatalf("an event carries %s's root password", h.Name)
			}
		}
	}
	if keys := tw.World.Scaleway.State().SSHKeys; len(keys) != 1 || keys[0].Name != "tripod-metal" {
		t.Errorf("IAM keys: %+v", keys)
	}
	p1, _ := tw.Env.State.Secrets.Get(secretRootPassword("metal-pve-1"))
	p2, _ := tw.Env.State.Secrets.Get(secretRootPassword("metal-pve-2"))
	if string(p1) == string(p2) {
		t.Error("two hosts share a root password")
	}
}

// TestPlanOnFreshWorld: a dry run lists every order and install (and the
// SSH key registration) and sends nothing that changes the world.
func TestPlanOnFreshWorld(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml")
	rep, err := tw.runScw(tw.Env, OS, true)
	requireClean(t, rep, err)
	if n := tw.mutations(); n != 0 {
		t.Fatalf("the plan made %d mutating requests: %v", n, tw.World.Env.Log.Snapshot().MutatingRoutes())
	}
	var got []string
	for _, m := range rep.Mutations() {
		got = append(got, m.Verb+" "+m.Object)
	}
	want := []string{
		"order server lab-pve-1 (START-9-M in DC2)", "order server lab-pve-2 (START-9-M in DC3)", "order server lab-pve-3 (START-9-M in DC5)",
		"tag the server of lab-pve-1, once delivered", "tag the server of lab-pve-2, once delivered", "tag the server of lab-pve-3, once delivered",
		"register SSH key tripod-lab",
		"install Proxmox VE on lab-pve-1", "install Proxmox VE on lab-pve-2", "install Proxmox VE on lab-pve-3",
	}
	for _, w := range want {
		if !contains(got, w) {
			t.Errorf("the plan lacks %q: %q", w, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("the plan has %d changes, want %d: %q", len(got), len(want), got)
	}
	haveKey, err1 := haveSecret(tw.Env.State.Secrets, secretSSHKey)
	havePW, err2 := haveSecret(tw.Env.State.Secrets, secretRootPassword("lab-pve-1"))
	if haveKey || havePW || err1 != nil || err2 != nil {
		t.Error("the plan generated secrets")
	}
	if len(tw.Env.State.Journal.Records()) != 0 {
		t.Error("the plan wrote the journal")
	}
	rep, err = tw.runScw(tw.fresh(), Network, true)
	requireClean(t, rep, err)
	byRequest := map[string]int{}
	for _, m := range rep.Mutations() {
		byRequest[m.Request]++
	}
	wantReq := map[string]int{scaleway.ReqDediboxOrder: 3, scaleway.ReqDediboxTags: 3, scaleway.ReqIAMKeyCreate: 1, scaleway.ReqDediboxInstall: 3, scaleway.ReqRPNCreate: 1, scaleway.ReqRPNAddMembers: 2, scaleway.ReqRPNVLAN: 3}
	if !maps.Equal(byRequest, wantReq) || tw.mutations() != 0 {
		t.Errorf("planned through the network: %v, want %v; %d mutating requests", byRequest, wantReq, tw.mutations())
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestWorkingHostIsNeverReinstalled: an adopted server already running
// Proxmox VE under its host's name is not reinstalled. Without its root
// password tripod stops and says where to put it; with it, it goes on.
func TestWorkingHostIsNeverReinstalled(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/adopt.yaml", withPreload(preload(t, `
servers:
  - {provider: dedibox, id: "104201", offer: CORE-10-M, datacenter: DC2, hostname: reuse-pve-1, installed_os: proxmox, root_password: kept-by-the-operator}
  - {provider: dedibox, id: "104202", offer: CORE-10-M, datacenter: DC3, hostname: old-2}
  - {provider: dedibox, id: "104203", offer: CORE-10-M, datacenter: DC5, hostname: old-3}
`)))
	rep, err := tw.runScw(tw.Env, OS, false)
	if err == nil || !strings.Contains(err.Error(), "already runs Proxmox VE as reuse-pve-1, but tripod holds no root password for it (secret root-password.reuse-pve-1)") {
		t.Fatalf("err = %v", err)
	}
	for _, s := range rep.Steps {
		if s.Key == (run.Key{Stage: OS, Target: "reuse-pve-1"}) && len(s.Mutations) != 0 {
			t.Fatalf("reuse-pve-1 was changed: %v", s.Mutations)
		}
	}
	if n := served(tw, "POST /dedibox/v1/zones/{zone}/servers/{server_id}/install"); n != 2 {
		t.Fatalf("%d installs, want 2 (the other hosts)", n)
	}
	if err := tw.Env.State.Secrets.Put(secretRootPassword("reuse-pve-1"), []byte("kept-by-the-operator")); err != nil {
		t.Fatal(err)
	}
	rep, err = tw.runScw(tw.fresh(), OS, false)
	requireClean(t, rep, err)
	if n := served(tw, "POST /dedibox/v1/zones/{zone}/servers/{server_id}/install"); n != 2 {
		t.Fatalf("%d installs after the password was given, want still 2", n)
	}
	assertBuilt(t, tw)
}
