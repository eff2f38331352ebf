package stage

import (
	"strings"
	"testing"

	"github.com/scaleway/scaleway-sdk-go/scw"
)

// TestPreflightRefusesOutOfStock: an offer out of stock in its datacenter
// stops the run before any order, with one sentence naming the host, the
// offer, the datacenter and where else it is (and what else is) in stock.
func TestPreflightRefusesOutOfStock(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/prod-3az.yaml", withPreload(preload(t, `
stock:
  - {offer: CORE-10-L, placement: DC3, stock: empty}
  - {offer: STORE-9-M, placement: DC5, stock: empty}
  - {offer: STORE-9-M, placement: DC3, stock: empty}
`)))
	rep, err := tw.runScw(tw.Env, Servers, false)
	if err == nil {
		t.Fatal("preflight accepted offers out of stock")
	}
	if n := tw.mutations(); n != 0 {
		t.Fatalf("%d mutating requests before refusing: %v", n, tw.World.Env.Log.Snapshot().MutatingRoutes())
	}
	if len(rep.Mutations()) != 0 || len(tw.World.Scaleway.State().Services) != 0 {
		t.Fatal("something was ordered")
	}
	msg := err.Error()
	for _, want := range []string{
		"hosts prod-core-2a, prod-core-2b: offer CORE-10-L is out of stock in DC3 (2 needed there); in stock in: DC2, DC5; offers in stock in DC3 at least as large: CORE-10-XL, CORE-10-XXL, PRO-9-L",
		"host prod-store-3: offer STORE-9-M is out of stock in DC5 (1 needed there); in stock in: DC2; ",
		"host prod-store-2: offer STORE-9-M is out of stock in DC3",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Count(msg, "out of stock") != 3 {
		t.Errorf("want one sentence per problem, got:\n%s", msg)
	}
	// A storage host's alternatives must hold its OSD disks too.
	if !strings.Contains(msg, "host prod-store-2: offer STORE-9-M is out of stock in DC3 (1 needed there); in stock in: DC2; offers in stock in DC3 at least as large: STORE-9-L\n") {
		t.Errorf("alternatives for a storage host:\n%s", msg)
	}
}

// TestPreflightChecksAdoptedServers: an adopted server in the wrong
// datacenter, of another offer, or owned by another cluster is refused.
func TestPreflightChecksAdoptedServers(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/adopt.yaml", withPreload(preload(t, `
servers:
  - {provider: dedibox, id: "104201", offer: CORE-10-M, datacenter: DC3, hostname: a}
  - {provider: dedibox, id: "104202", offer: CORE-10-L, datacenter: DC3, hostname: b}
  - {provider: dedibox, id: "104203", offer: CORE-10-M, datacenter: DC5, hostname: c, tags: [tripod-cluster=other]}
`)))
	_, err := tw.runScw(tw.Env, Servers, false)
	if err == nil {
		t.Fatal("preflight accepted the adopted servers")
	}
	for _, want := range []string{
		"host reuse-pve-1: adopted server 104201 is in DC3, not DC2 as the inventory says",
		"host reuse-pve-2: adopted server 104202 is a CORE-10-L, not a CORE-10-M as the inventory says",
		"host reuse-pve-3: adopted server 104203 cannot be adopted: it carries tripod-cluster=other",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q:\n%v", want, err)
		}
	}
	if n := tw.mutations(); n != 0 {
		t.Fatalf("%d mutating requests", n)
	}
}

// TestPreflightNamesMissingCredentials: without keys, the message says
// which variables or file to set.
func TestPreflightNamesMissingCredentials(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml")
	env := tw.fresh()
	env.Scaleway = &scw.Profile{APIURL: tw.Env.Scaleway.APIURL}
	_, err := tw.runScw(env, Preflight, false)
	if err == nil || !strings.Contains(err.Error(), "SCW_ACCESS_KEY and SCW_SECRET_KEY") || !strings.Contains(err.Error(), "config.yaml") {
		t.Fatalf("err = %v", err)
	}
	bad := "00000000-0000-4000-8000-000000000000"
	env = tw.fresh()
	p := *tw.Env.Scaleway
	p.SecretKey = &bad
	env.Scaleway = &p
	_, err = tw.runScw(env, Preflight, false)
	if err == nil || !strings.Contains(err.Error(), "refused the credentials") || strings.Contains(err.Error(), bad) {
		t.Fatalf("err = %v", err)
	}
}
