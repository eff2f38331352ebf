package scaleway

import (
	"errors"
	"slices"
	"testing"

	dedibox "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// TestRPNv2GroupWithVlan runs on the wall clock with realistic durations
// scaled down, so WaitForRpnV2Group really waits through creating and
// updating, and must still terminate.
func TestRPNv2GroupWithVlan(t *testing.T) {
	f := newFixture(t, simcore.Realistic, 0.0005, withRun())
	var ids []uint64
	for _, p := range []PreloadedServer{
		{Provider: "dedibox", Offer: "STORE-9-M", Datacenter: "DC2", Hostname: "pve-a1"},
		{Provider: "dedibox", Offer: "STORE-9-M", Datacenter: "DC3", Hostname: "pve-b1"},
		{Provider: "dedibox", Offer: "STORE-9-M", Datacenter: "AMS1", Hostname: "pve-c1"},
	} {
		id, err := f.sim.PreloadServer(p)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, uint64ID(t, id))
	}
	rpn := dedibox.NewRpnV2API(f.client)
	capable, err := rpn.ListRpnV2CapableResources(&dedibox.RpnV2ApiListRpnV2CapableResourcesRequest{})
	if err != nil || capable.TotalCount != 3 {
		t.Fatalf("capable resources: %+v, %v", capable, err)
	}
	g, err := rpn.CreateRpnV2Group(&dedibox.RpnV2ApiCreateRpnV2GroupRequest{Name: "tripod-lab", Type: dedibox.RpnV2GroupTypeStandard, Servers: ids[:2]})
	if err != nil || g.Status != dedibox.RpnV2GroupStatusCreating || g.MembersCount != 2 {
		t.Fatalf("create: %+v, %v", g, err)
	}
	wait := func() *dedibox.RpnV2Group {
		t.Helper()
		g, err := rpn.WaitForRpnV2Group(&dedibox.WaitForRpnV2GroupRequest{GroupID: g.ID, RetryInterval: fastRetry, Timeout: waitTimeout})
		if err != nil || g.Status != dedibox.RpnV2GroupStatusActive {
			t.Fatalf("wait: %+v, %v", g, err)
		}
		return g
	}
	wait()
	if err := rpn.AddRpnV2Members(&dedibox.RpnV2ApiAddRpnV2MembersRequest{GroupID: g.ID, Servers: ids[2:]}); err != nil {
		t.Fatal(err)
	}
	if g := wait(); g.MembersCount != 3 {
		t.Fatalf("members after add: %d", g.MembersCount)
	}
	members := listMembers(t, rpn, g.ID)
	var memberIDs []uint64
	for _, m := range members {
		memberIDs = append(memberIDs, m.ID)
		if m.Server == nil || !m.Server.IsRpnv2Member {
			t.Fatalf("member %d does not show its server as an RPNv2 member", m.ID)
		}
	}
	if err := rpn.UpdateRpnV2VlanForMembers(&dedibox.RpnV2ApiUpdateRpnV2VlanForMembersRequest{GroupID: g.ID, MemberIDs: memberIDs, Vlan: ptr(uint32(42))}); err != nil {
		t.Fatal(err)
	}
	if st, _ := rpn.GetRpnV2Group(&dedibox.RpnV2ApiGetRpnV2GroupRequest{GroupID: g.ID}); st.Status != dedibox.RpnV2GroupStatusUpdating && st.Status != dedibox.RpnV2GroupStatusActive {
		t.Fatalf("status after a VLAN change: %s", st.Status)
	}
	wait()
	for _, m := range listMembers(t, rpn, g.ID) {
		if m.Vlan != "42" || m.Status != dedibox.RpnV2MemberStatusActive {
			t.Fatalf("member %d: vlan %q status %s", m.ID, m.Vlan, m.Status)
		}
	}
	err = rpn.UpdateRpnV2VlanForMembers(&dedibox.RpnV2ApiUpdateRpnV2VlanForMembersRequest{GroupID: g.ID, MemberIDs: memberIDs, Vlan: ptr(uint32(4000))})
	var ia *scw.InvalidArgumentsError
	if !errors.As(err, &ia) {
		t.Fatalf("VLAN 4000: %v, want invalid_arguments", err)
	}
	if err := rpn.DeleteRpnV2Members(&dedibox.RpnV2ApiDeleteRpnV2MembersRequest{GroupID: g.ID, MemberIDs: memberIDs[:1]}); err != nil {
		t.Fatal(err)
	}
	if g := wait(); g.MembersCount != 2 {
		t.Fatalf("members after delete: %d", g.MembersCount)
	}
	if err := rpn.DeleteRpnV2Group(&dedibox.RpnV2ApiDeleteRpnV2GroupRequest{GroupID: g.ID}); err != nil {
		t.Fatal(err)
	}
	_, err = rpn.WaitForRpnV2Group(&dedibox.WaitForRpnV2GroupRequest{GroupID: g.ID, RetryInterval: fastRetry, Timeout: waitTimeout})
	var nf *scw.ResourceNotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("waiting on a deleted group: %v, want it to end with not_found", err)
	}
}

func listMembers(t *testing.T, rpn *dedibox.RpnV2API, group uint64) []*dedibox.RpnV2Member {
	t.Helper()
	res, err := rpn.ListRpnV2Members(&dedibox.RpnV2ApiListRpnV2MembersRequest{GroupID: group}, scw.WithAllPages())
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(res.Members, func(a, b *dedibox.RpnV2Member) int { return int(a.ID) - int(b.ID) })
	return res.Members
}
