package stage

import (
	"slices"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/run"
)

// adoptPreload is adopt.yaml's three Dedibox servers, delivered, with a
// previous owner's hostname and OS state: tripod installs Proxmox VE on them.
const adoptPreload = `
servers:
  - {provider: dedibox, id: "104201", offer: CORE-10-M, datacenter: DC2, hostname: old-db-1, tags: [team=db]}
  - {provider: dedibox, id: "104202", offer: CORE-10-M, datacenter: DC3, hostname: old-db-2}
  - {provider: dedibox, id: "104203", offer: CORE-10-M, datacenter: DC5, hostname: old-db-3}
`

func TestUpOrdersInstallsAndConverges(t *testing.T) {
	cases := []struct {
		inventory string
		preload   string
	}{
		{"lab.yaml", ""},
		{"elastic-metal.yaml", emStock},
		{"prod-3az.yaml", ""},
		{"adopt.yaml", adoptPreload},
	}
	for _, tc := range cases {
		t.Run(strings.TrimSuffix(tc.inventory, ".yaml"), func(t *testing.T) {
			var opts []simOption
			if tc.preload != "" {
				opts = append(opts, withPreload(preload(t, tc.preload)))
			}
			tw := newTestWorld(t, "../../inventories/"+tc.inventory, opts...)
			rep, err := tw.runScw(tw.Env, Servers, false)
			requireClean(t, rep, err)
			rep, err = tw.runScw(tw.Env, OS, false)
			requireClean(t, rep, err)
			assertBuilt(t, tw)
			rep = assertNoMutations(t, tw, OS)
			if plan, err := tw.runScw(tw.fresh(), OS, true); err != nil || len(plan.Mutations()) != 0 {
				t.Fatalf("a plan of the built cluster: %v, changes %v", err, plan.Mutations())
			}
			checks := len((&preflight{tw.Env}).Targets())
			if n := countStatus(rep, run.StatusUnchanged); n != checks+2*len(tw.Env.Layout().Hosts) {
				t.Errorf("second up: %d unchanged steps, want %d", n, checks+2*len(tw.Env.Layout().Hosts))
			}
		})
	}
}

// assertBuilt checks the simulator holds one ready server per host, tagged
// as this cluster's and the host's, with Proxmox VE installed under the
// host's name.
func assertBuilt(t *testing.T, tw *testWorld) {
	t.Helper()
	hosts := tw.Env.Layout().Hosts
	got := ours(tw)
	if len(got) != len(hosts) {
		t.Fatalf("%d servers carry %s, want %d: %+v", len(got), tw.Env.ServerTag(), len(hosts), got)
	}
	if all := tw.World.Scaleway.State().Servers; len(all) != len(hosts) {
		t.Errorf("the account holds %d servers, want %d", len(all), len(hosts))
	}
	byHost := map[string]bool{}
	for _, s := range got {
		host, _ := tagValue(s.Tags, hostTagPrefix)
		h, ok := tw.Env.Layout().Host(host)
		switch {
		case !ok:
			t.Errorf("server %s has no host tag of the inventory: %v", s.ID, s.Tags)
		case byHost[host]:
			t.Errorf("host %s has two servers", host)
		case s.Status != "ready":
			t.Errorf("server %s (%s) is %s, want ready", s.ID, host, s.Status)
		case s.InstallStatus != "installed" && s.InstallStatus != "completed":
			t.Errorf("server %s (%s) install is %q", s.ID, host, s.InstallStatus)
		case !strings.HasPrefix(s.OS, "Proxmox VE"):
			t.Errorf("server %s (%s) runs %q", s.ID, host, s.OS)
		case s.Hostname != host:
			t.Errorf("server %s is named %q, want %q", s.ID, s.Hostname, host)
		case !strings.EqualFold(s.Offer, h.Offer.Name):
			t.Errorf("server %s (%s) is a %s, want %s", s.ID, host, s.Offer, h.Offer.Name)
		case slices.Contains(s.Tags, AdoptedTag) != (h.AdoptServerID != ""):
			t.Errorf("server %s (%s) has tags %v: %s only and always on adopted servers", s.ID, host, s.Tags, AdoptedTag)
		}
		byHost[host] = true
	}
}

func countStatus(rep *run.Report, s run.Status) int {
	n := 0
	for _, st := range rep.Steps {
		if st.Status == s {
			n++
		}
	}
	return n
}
