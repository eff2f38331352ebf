package scaleway

import (
	"testing"

	dedibox "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

func TestPrivateLinkUpFollowsRPNMembership(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1)
	var ids []uint64
	var names []string
	for _, h := range []string{"pve-a1", "pve-b1"} {
		id, err := f.sim.PreloadServer(PreloadedServer{Provider: "dedibox", Offer: "STORE-9-M", Datacenter: "DC2", Hostname: h})
		if err != nil {
			t.Fatal(err)
		}
		ids, names = append(ids, uint64ID(t, id)), append(names, id)
	}
	if f.sim.PrivateLinkUp(names[0]) {
		t.Fatal("a server in no RPN group has a private link")
	}
	rpn := dedibox.NewRpnV2API(f.client)
	if _, err := rpn.CreateRpnV2Group(&dedibox.RpnV2ApiCreateRpnV2GroupRequest{Name: "tripod-lab", Type: dedibox.RpnV2GroupTypeStandard, Servers: ids[:1]}); err != nil {
		t.Fatal(err)
	}
	if !f.sim.PrivateLinkUp(names[0]) || f.sim.PrivateLinkUp(names[1]) {
		t.Fatalf("links: member %v, non-member %v", f.sim.PrivateLinkUp(names[0]), f.sim.PrivateLinkUp(names[1]))
	}
}
