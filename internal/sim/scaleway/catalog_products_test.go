package scaleway

import (
	"slices"
	"testing"

	"github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"
	catalog "github.com/scaleway/scaleway-sdk-go/api/product_catalog/v2alpha1"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// The public catalogue answers the SDK's ListPublicCatalogProducts with
// its filters and pages, without a token as on the real API.
func TestPublicCatalogProducts(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1)
	api := catalog.NewPublicCatalogAPI(f.client)
	zone := scw.ZoneFrPar2
	types := []catalog.ListPublicCatalogProductsRequestProductType{catalog.ListPublicCatalogProductsRequestProductTypeElasticMetal}
	all, err := api.ListPublicCatalogProducts(&catalog.PublicCatalogAPIListPublicCatalogProductsRequest{ProductTypes: types, Zone: &zone}, scw.WithAllPages())
	if err != nil {
		t.Fatalf("ListPublicCatalogProducts: %v", err)
	}
	if int(all.TotalCount) != len(emOffers) || len(all.Products) != len(emOffers) {
		t.Fatalf("%d Elastic Metal products in fr-par-2 (total %d), want %d", len(all.Products), all.TotalCount, len(emOffers))
	}
	var em *catalog.PublicCatalogProduct
	for _, p := range all.Products {
		if p.Locality == nil || p.Locality.Zone == nil || *p.Locality.Zone != zone || p.Properties == nil || p.Properties.ElasticMetal == nil {
			t.Fatalf("product %s: locality %+v, properties %+v", p.Sku, p.Locality, p.Properties)
		}
		if p.Properties.ElasticMetal.OfferID == emOffers[1].ID {
			em = p
		}
	}
	if em == nil || em.Price.RetailPrice.String() == "" || em.Properties.Hardware.CPU.Threads != emOffers[1].Threads || em.UnitOfMeasure.Unit != catalog.PublicCatalogProductUnitOfMeasureCountableUnitHour {
		t.Fatalf("EM-A116X-SSD product = %+v", em)
	}

	// One page of two, the second page, and api_ids.
	two := uint32(2)
	p2 := int32(2)
	page, err := api.ListPublicCatalogProducts(&catalog.PublicCatalogAPIListPublicCatalogProductsRequest{ProductTypes: types, Zone: &zone, PageSize: &two, Page: &p2})
	if err != nil || len(page.Products) != 2 || page.TotalCount != all.TotalCount || page.Products[0].Sku != all.Products[2].Sku {
		t.Fatalf("page 2 of size 2: %+v, %v", page, err)
	}
	one, err := api.ListPublicCatalogProducts(&catalog.PublicCatalogAPIListPublicCatalogProductsRequest{APIIDs: []string{emOffers[1].ID}, Zone: &zone})
	if err != nil || one.TotalCount != 1 || one.Products[0].Sku != em.Sku {
		t.Fatalf("api_ids: %+v, %v", one, err)
	}
	dz := scw.ZoneFrPar1
	dd := []catalog.ListPublicCatalogProductsRequestProductType{catalog.ListPublicCatalogProductsRequestProductTypeDedibox}
	ded, err := api.ListPublicCatalogProducts(&catalog.PublicCatalogAPIListPublicCatalogProductsRequest{ProductTypes: dd, Zone: &dz}, scw.WithAllPages())
	if err != nil || int(ded.TotalCount) != len(dOffers) || ded.Products[0].Properties.Dedibox == nil || ded.Products[0].Properties.Dedibox.OfferID != int64(dOffers[0].ID) {
		t.Fatalf("Dedibox products: %+v, %v", ded, err)
	}

	anon, err := scw.NewClient(scw.WithAPIURL(f.srv.URL), scw.WithDefaultRegion(scw.RegionFrPar))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := catalog.NewPublicCatalogAPI(anon).ListPublicCatalogProducts(&catalog.PublicCatalogAPIListPublicCatalogProductsRequest{}); err != nil {
		t.Errorf("the public catalogue refused a client without a token: %v", err)
	}
	if e := f.env.Log.Errors(); len(e) != 0 {
		t.Errorf("recorded errors: %v", e)
	}
}

// A Dedibox server list for a zone holds only that zone's servers, and
// honours page and page_size.
func TestDediboxServerListIsPerZone(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1)
	api := dedibox.NewAPI(f.client)
	offer := findDOffer(t, api, scw.ZoneFrPar1, "STORE-9-M")
	a := orderDedibox(t, api, offer, "DC3")
	b := orderDedibox(t, api, offer, "DC2")
	dc := "DC5"
	svc, err := api.CreateServer(&dedibox.CreateServerRequest{Zone: scw.ZoneFrPar2, OfferID: offer.ID, DatacenterName: &dc})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.WaitForService(&dedibox.WaitForServiceRequest{Zone: scw.ZoneFrPar2, ServiceID: svc.ID, RetryInterval: fastRetry, Timeout: waitTimeout}); err != nil {
		t.Fatal(err)
	}
	ids := func(zone scw.Zone) []uint64 {
		t.Helper()
		r, err := api.ListServers(&dedibox.ListServersRequest{Zone: zone}, scw.WithAllPages())
		if err != nil {
			t.Fatal(err)
		}
		var out []uint64
		for _, s := range r.Servers {
			out = append(out, s.ID)
		}
		return out
	}
	par1, par2 := ids(scw.ZoneFrPar1), ids(scw.ZoneFrPar2)
	if len(par1) != 2 || !slices.Contains(par1, a.ID) || !slices.Contains(par1, b.ID) || len(par2) != 1 || slices.Contains(par2, a.ID) {
		t.Fatalf("fr-par-1 lists %v, fr-par-2 lists %v; want the DC2 and DC3 servers in fr-par-1 and the DC5 one alone in fr-par-2", par1, par2)
	}
	one, p2 := uint32(1), uint32(2)
	r, err := api.ListServers(&dedibox.ListServersRequest{Zone: scw.ZoneFrPar1, PageSize: &one, Page: &p2})
	if err != nil || r.TotalCount != 2 || len(r.Servers) != 1 || r.Servers[0].ID != par1[1] {
		t.Fatalf("page 2 of size 1: %+v, %v", r, err)
	}
}
