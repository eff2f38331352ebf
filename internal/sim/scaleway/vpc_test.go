package scaleway

import (
	"errors"
	"net/netip"
	"slices"
	"testing"

	vpc "github.com/scaleway/scaleway-sdk-go/api/vpc/v2"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// TestVPCPrivateNetworkLifecycle drives create, list, get, update and delete
// through the SDK, with the default VPC appearing on first use.
func TestVPCPrivateNetworkLifecycle(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1)
	api := vpc.NewAPI(f.client)
	first, err := api.CreatePrivateNetwork(&vpc.CreatePrivateNetworkRequest{Region: scw.RegionFrPar, Name: "lab-private"})
	if err != nil {
		t.Fatal(err)
	}
	vpcs, err := api.ListVPCs(&vpc.ListVPCsRequest{Region: scw.RegionFrPar, IsDefault: scw.BoolPtr(true)})
	if err != nil || vpcs.TotalCount != 1 || vpcs.Vpcs[0].Name != "default" || vpcs.Vpcs[0].PrivateNetworkCount != 1 {
		t.Fatalf("default VPC: %+v, %v", vpcs, err)
	}
	def := vpcs.Vpcs[0]
	if first.VpcID != def.ID || first.Region != scw.RegionFrPar || first.ProjectID != f.creds.ProjectID || !first.DHCPEnabled ||
		len(first.Subnets) != 2 || first.Subnets[0].Subnet.String() != "172.16.0.0/22" || first.Subnets[1].Subnet.IP.To4() != nil {
		t.Fatalf("first network: %+v", first)
	}
	second, err := api.CreatePrivateNetwork(&vpc.CreatePrivateNetworkRequest{
		Region: scw.RegionFrPar, Name: "db-net", Tags: []string{"tripod:lab", "db"}, VpcID: &def.ID,
		Subnets: []scw.IPNet{ipnet(t, "172.20.0.0/24")},
	})
	if err != nil || second.Subnets[0].Subnet.String() != "172.20.0.0/24" || !sameULA48(second.Subnets[1].Subnet, first.Subnets[1].Subnet) {
		t.Fatalf("second network: %+v, %v", second, err)
	}
	ams := createPN(t, f.client, scw.RegionNlAms, "lab-private")

	list := func(req vpc.ListPrivateNetworksRequest, opts ...scw.RequestOption) []string {
		t.Helper()
		req.Region = scw.RegionFrPar
		r, err := api.ListPrivateNetworks(&req, opts...)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range r.PrivateNetworks {
			names = append(names, p.Name)
		}
		return names
	}
	for _, c := range []struct {
		req  vpc.ListPrivateNetworksRequest
		want []string
	}{
		{vpc.ListPrivateNetworksRequest{}, []string{"lab-private", "db-net"}},
		{vpc.ListPrivateNetworksRequest{Name: scw.StringPtr("LAB")}, []string{"lab-private"}},
		{vpc.ListPrivateNetworksRequest{Tags: []string{"db", "absent"}}, []string{"db-net"}},
		{vpc.ListPrivateNetworksRequest{ProjectID: &f.creds.ProjectID, VpcID: &def.ID}, []string{"lab-private", "db-net"}},
		{vpc.ListPrivateNetworksRequest{OrganizationID: scw.StringPtr("00000000-0000-4000-8000-000000000000")}, nil},
		{vpc.ListPrivateNetworksRequest{PrivateNetworkIDs: []string{second.ID, ams}}, []string{"db-net"}},
		{vpc.ListPrivateNetworksRequest{OrderBy: vpc.ListPrivateNetworksRequestOrderByNameAsc}, []string{"db-net", "lab-private"}},
		{vpc.ListPrivateNetworksRequest{OrderBy: vpc.ListPrivateNetworksRequestOrderByCreatedAtDesc}, []string{"db-net", "lab-private"}},
	} {
		if got := list(c.req); !slices.Equal(got, c.want) {
			t.Errorf("list %+v: %v, want %v", c.req, got, c.want)
		}
	}
	one, err := api.ListPrivateNetworks(&vpc.ListPrivateNetworksRequest{Region: scw.RegionFrPar, PageSize: scw.Uint32Ptr(1), Page: scw.Int32Ptr(2)})
	if err != nil || one.TotalCount != 2 || len(one.PrivateNetworks) != 1 || one.PrivateNetworks[0].ID != second.ID {
		t.Fatalf("page 2 of 1: %+v, %v", one, err)
	}
	if got := list(vpc.ListPrivateNetworksRequest{PageSize: scw.Uint32Ptr(1)}, scw.WithAllPages()); len(got) != 2 {
		t.Fatalf("all pages: %v", got)
	}

	up, err := api.UpdatePrivateNetwork(&vpc.UpdatePrivateNetworkRequest{Region: scw.RegionFrPar, PrivateNetworkID: first.ID, Name: scw.StringPtr("renamed"), Tags: &[]string{"x"}})
	if err != nil || up.Name != "renamed" || !slices.Equal(up.Tags, []string{"x"}) || up.UpdatedAt.Before(*up.CreatedAt) {
		t.Fatalf("update: %+v, %v", up, err)
	}
	got, err := api.GetPrivateNetwork(&vpc.GetPrivateNetworkRequest{Region: scw.RegionFrPar, PrivateNetworkID: first.ID})
	if err != nil || got.Name != "renamed" {
		t.Fatalf("get: %+v, %v", got, err)
	}
	if err := api.DeletePrivateNetwork(&vpc.DeletePrivateNetworkRequest{Region: scw.RegionFrPar, PrivateNetworkID: first.ID}); err != nil {
		t.Fatal(err)
	}
	for _, region := range []scw.Region{scw.RegionFrPar, scw.RegionPlWaw} {
		_, err = api.GetPrivateNetwork(&vpc.GetPrivateNetworkRequest{Region: region, PrivateNetworkID: first.ID})
		var nf *scw.ResourceNotFoundError
		if !errors.As(err, &nf) || nf.Resource != "private_network" {
			t.Fatalf("get %s after delete: %v, want a ResourceNotFoundError", region, err)
		}
	}
	// Regional: the Amsterdam network is not found from Paris.
	if _, err := api.GetPrivateNetwork(&vpc.GetPrivateNetworkRequest{Region: scw.RegionFrPar, PrivateNetworkID: ams}); err == nil {
		t.Fatal("an nl-ams network was found in fr-par")
	}
	if st := f.sim.State(); len(st.Networks) != 2 || len(st.VPCs) != 2 || st.Networks[1].Region != "nl-ams" {
		t.Fatalf("state: %+v %+v", st.Networks, st.VPCs)
	}
}

// TestVPCPrivateNetworkRefusals: the create checks subnets, VPC and region.
func TestVPCPrivateNetworkRefusals(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1)
	api := vpc.NewAPI(f.client)
	createPN(t, f.client, scw.RegionFrPar, "taken", "10.40.0.0/22")
	for name, req := range map[string]vpc.CreatePrivateNetworkRequest{
		"overlap":   {Subnets: []scw.IPNet{ipnet(t, "10.40.2.0/24")}},
		"public":    {Subnets: []scw.IPNet{ipnet(t, "203.0.113.0/24")}},
		"too large": {Subnets: []scw.IPNet{ipnet(t, "10.0.0.0/16")}},
		"two IPv4":  {Subnets: []scw.IPNet{ipnet(t, "10.1.0.0/24"), ipnet(t, "10.2.0.0/24")}},
	} {
		req.Region, req.Name = scw.RegionFrPar, name
		_, err := api.CreatePrivateNetwork(&req)
		var ia *scw.InvalidArgumentsError
		if !errors.As(err, &ia) {
			t.Errorf("%s: %v, want invalid_arguments", name, err)
		}
	}
	_, err := api.CreatePrivateNetwork(&vpc.CreatePrivateNetworkRequest{Region: scw.RegionFrPar, Name: "x", VpcID: scw.StringPtr(f.creds.ProjectID)})
	var nf *scw.ResourceNotFoundError
	if !errors.As(err, &nf) || nf.Resource != "vpc" {
		t.Errorf("unknown VPC: %v, want not_found vpc", err)
	}
	if _, err := api.CreatePrivateNetwork(&vpc.CreatePrivateNetworkRequest{Region: scw.RegionItMil, Name: "x"}); err == nil {
		t.Error("a region without Elastic Metal was accepted")
	}
	if st := f.sim.State(); len(st.Networks) != 1 {
		t.Fatalf("refused creates left networks: %+v", st.Networks)
	}
}

func ipnet(t *testing.T, s string) scw.IPNet {
	t.Helper()
	var n scw.IPNet
	if err := n.UnmarshalJSON([]byte(`"` + s + `"`)); err != nil {
		t.Fatal(err)
	}
	return n
}

// sameULA48 reports whether two IPv6 subnets share their /48.
func sameULA48(a, b scw.IPNet) bool {
	pa, _ := netip.ParsePrefix(a.String())
	pb, _ := netip.ParsePrefix(b.String())
	x, _ := pa.Addr().Prefix(48)
	y, _ := pb.Addr().Prefix(48)
	return pa.Bits() == 64 && x == y && pa != pb
}
