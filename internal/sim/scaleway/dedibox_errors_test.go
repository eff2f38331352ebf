package scaleway

import (
	"errors"
	"net/http"
	"testing"

	baremetal "github.com/scaleway/scaleway-sdk-go/api/baremetal/v1"
	dedibox "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

func TestDediboxOutOfStockOrderRefused(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1)
	if err := f.sim.SetStock("STORE-9-M", "DC3", "empty"); err != nil {
		t.Fatal(err)
	}
	api := dedibox.NewAPI(f.client)
	offer := findDOffer(t, api, scw.ZoneFrPar1, "STORE-9-M")
	if got := offer.ServerInfo.StockByDatacenter; got["DC3"] != "empty" || got["DC2"] != "available" {
		t.Fatalf("stock_by_datacenter %v", got)
	}
	_, err := api.CreateServer(&dedibox.CreateServerRequest{Zone: scw.ZoneFrPar1, OfferID: offer.ID, DatacenterName: ptr("DC3")})
	var oos *scw.OutOfStockError
	if !errors.As(err, &oos) {
		t.Fatalf("order in an empty datacenter: %v, want an OutOfStockError", err)
	}
	if st := f.sim.State(); len(st.Servers) != 0 || len(st.Services) != 0 {
		t.Fatalf("a refused order left %+v", st)
	}
	if srv := orderDedibox(t, api, offer, "DC2"); srv.Location.DatacenterName != "DC2" {
		t.Fatalf("order in DC2 delivered in %s", srv.Location.DatacenterName)
	}
}

// TestDediboxInstallFailsOnceThenReinstalls uses the one-shot fault: the
// first install ends in the honest failure shape, the second succeeds.
func TestDediboxInstallFailsOnceThenReinstalls(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1, withFaults("install-fail=pve-c1"))
	api := dedibox.NewAPI(f.client)
	offer := findDOffer(t, api, scw.ZoneFrPar1, "CORE-10-L")
	pve := findDProxmox(t, api, scw.ZoneFrPar1, offer.ID)
	srv := orderDedibox(t, api, offer, "DC2")
	req := &dedibox.InstallServerRequest{Zone: scw.ZoneFrPar1, ServerID: srv.ID, OsID: pve.ID, Hostname: "pve-c1", RootPassword: ptr("Sup3r-secret")}
	wait := &dedibox.WaitForServerInstallRequest{Zone: scw.ZoneFrPar1, ServerID: srv.ID, RetryInterval: fastRetry, Timeout: waitTimeout}

	if _, err := api.InstallServer(req); err != nil {
		t.Fatal(err)
	}
	in, err := api.WaitForServerInstall(wait)
	if err != nil || in.Status != dedibox.ServerInstallStatusUnknown {
		t.Fatalf("failed install: %+v, %v; want status unknown", in, err)
	}
	got, _ := api.GetServer(&dedibox.GetServerRequest{Zone: scw.ZoneFrPar1, ServerID: srv.ID})
	if got.Status != dedibox.ServerStatusError || len(f.installedHosts()) != 0 {
		t.Fatalf("after the failure: server %s, %d hosts announced", got.Status, len(f.installedHosts()))
	}

	if _, err := api.InstallServer(req); err != nil {
		t.Fatalf("reinstall refused: %v", err)
	}
	if in, err = api.WaitForServerInstall(wait); err != nil || in.Status != dedibox.ServerInstallStatusInstalled {
		t.Fatalf("reinstall: %+v, %v", in, err)
	}
	if n := len(f.installedHosts()); n != 1 {
		t.Fatalf("OnInstalled fired %d times, want 1", n)
	}
}

func TestDediboxInstallValidation(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1)
	api := dedibox.NewAPI(f.client)
	start := findDOffer(t, api, scw.ZoneFrPar1, "START-9-S")
	srv := orderDedibox(t, api, start, "DC2")
	pve := findDProxmox(t, api, scw.ZoneFrPar1, start.ID)
	base := func() *dedibox.InstallServerRequest {
		return &dedibox.InstallServerRequest{Zone: scw.ZoneFrPar1, ServerID: srv.ID, OsID: pve.ID, Hostname: "pve-d1", RootPassword: ptr("Sup3r-secret")}
	}
	cases := map[string]struct {
		edit func(*dedibox.InstallServerRequest)
		arg  string
	}{
		"unknown OS":          {func(r *dedibox.InstallServerRequest) { r.OsID = 999 }, "os_id"},
		"ESXi on START":       {func(r *dedibox.InstallServerRequest) { r.OsID = 3301 }, "os_id"},
		"bad hostname":        {func(r *dedibox.InstallServerRequest) { r.Hostname = "-pve_d1" }, "hostname"},
		"no root password":    {func(r *dedibox.InstallServerRequest) { r.RootPassword = nil }, "root_password"},
		"short root password": {func(r *dedibox.InstallServerRequest) { r.RootPassword = ptr("short") }, "root_password"},
		"unknown SSH key":     {func(r *dedibox.InstallServerRequest) { r.SSHKeyIDs = []string{"11111111-1111-4111-8111-111111111111"} }, "ssh_key_ids"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			req := base()
			c.edit(req)
			_, err := api.InstallServer(req)
			var ia *scw.InvalidArgumentsError
			if !errors.As(err, &ia) || len(ia.Details) != 1 || ia.Details[0].ArgumentName != c.arg {
				t.Fatalf("got %v, want invalid_arguments on %s", err, c.arg)
			}
		})
	}
	if len(f.sim.State().Servers[0].InstallStatus) != 0 {
		t.Fatal("a refused install was recorded")
	}
}

func TestDediboxQuotaAndProject(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1)
	f.sim.ServerQuota = 1
	api := dedibox.NewAPI(f.client)
	offer := findDOffer(t, api, scw.ZoneFrPar1, "START-9-S")
	orderDedibox(t, api, offer, "DC2")
	_, err := api.CreateServer(&dedibox.CreateServerRequest{Zone: scw.ZoneFrPar1, OfferID: offer.ID})
	var qe *scw.QuotasExceededError
	if !errors.As(err, &qe) || qe.Details[0].Quota != 1 {
		t.Fatalf("second order: %v, want a QuotasExceededError", err)
	}
	_, err = api.CreateServer(&dedibox.CreateServerRequest{Zone: scw.ZoneFrPar1, OfferID: offer.ID, ProjectID: "11111111-1111-4111-8111-111111111111"})
	var pd *scw.PermissionsDeniedError
	if !errors.As(err, &pd) {
		t.Fatalf("order in another project: %v, want a PermissionsDeniedError", err)
	}
	other := "11111111-1111-4111-8111-111111111111"
	if _, err := api.ListServers(&dedibox.ListServersRequest{Zone: scw.ZoneFrPar1, ProjectID: &other}); !errors.As(err, &pd) {
		t.Fatalf("list in another project: %v, want a PermissionsDeniedError", err)
	}
	if _, err := api.ListServers(&dedibox.ListServersRequest{Zone: scw.ZoneFrPar1, ProjectID: &f.creds.ProjectID}); err != nil {
		t.Fatalf("list in the key's project: %v", err)
	}
}

func TestAuthenticationFailureIsTyped(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1)
	bad := f.newClient("11111111-1111-4111-8111-111111111111")
	_, err := dedibox.NewAPI(bad).ListOffers(&dedibox.ListOffersRequest{Zone: scw.ZoneFrPar1})
	var denied *scw.DeniedAuthenticationError
	if !errors.As(err, &denied) || denied.Method != "api_key" {
		t.Fatalf("wrong secret key: %v, want a DeniedAuthenticationError", err)
	}
}

// TestUnmodelledRouteIsLoud: a real SDK call the simulator does not model
// gets a 501 and a recorded error, never a silent 200.
func TestUnmodelledRouteIsLoud(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1)
	_, err := dedibox.NewAPI(f.client).GetServerBackup(&dedibox.GetServerBackupRequest{Zone: scw.ZoneFrPar1, ServerID: 1})
	var re *scw.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusNotImplemented {
		t.Fatalf("unmodelled route: %v, want a 501", err)
	}
	errs := f.env.Log.Errors()
	if len(errs) != 1 || errs[0].Kind != "unmodelled" || errs[0].Detail != "GET /dedibox/v1/zones/fr-par-1/servers/1/backups" {
		t.Fatalf("recorded errors %+v", errs)
	}
}

// TestGetServiceIsNotMutating: the SDK sends GetService as a PATCH; the
// request log must not count it as a change.
func TestGetServiceIsNotMutating(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1)
	api := dedibox.NewAPI(f.client)
	offer := findDOffer(t, api, scw.ZoneFrPar1, "START-9-S")
	orderDedibox(t, api, offer, "DC2")
	before := f.env.Log.Snapshot().Mutating
	for range 3 {
		if _, err := api.GetService(&dedibox.GetServiceRequest{Zone: scw.ZoneFrPar1, ServiceID: f.sim.State().Services[0].ID}); err != nil {
			t.Fatal(err)
		}
	}
	if after := f.env.Log.Snapshot().Mutating; after != before {
		t.Fatalf("GetService counted as %d mutations", after-before)
	}
}

// TestDediboxServicesAreZoned: an order placed in fr-par-1 is followed from
// its own region's zones only; nl-ams-1 does not see it.
func TestDediboxServicesAreZoned(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1)
	api := dedibox.NewAPI(f.client)
	offer := findDOffer(t, api, scw.ZoneFrPar1, "START-9-S")
	orderDedibox(t, api, offer, "DC2")
	id := f.sim.State().Services[0].ID
	count := func(z scw.Zone) uint32 {
		t.Helper()
		r, err := api.ListServices(&dedibox.ListServicesRequest{Zone: z})
		if err != nil {
			t.Fatal(err)
		}
		return r.TotalCount
	}
	if a, b, c := count(scw.ZoneFrPar1), count(scw.ZoneFrPar2), count(scw.ZoneNlAms1); a != 1 || b != 1 || c != 0 {
		t.Fatalf("services listed in fr-par-1, fr-par-2, nl-ams-1: %d %d %d, want 1 1 0", a, b, c)
	}
	if _, err := api.GetService(&dedibox.GetServiceRequest{Zone: scw.ZoneFrPar2, ServiceID: id}); err != nil {
		t.Fatal(err)
	}
	var nf *scw.ResourceNotFoundError
	if _, err := api.GetService(&dedibox.GetServiceRequest{Zone: scw.ZoneNlAms1, ServiceID: id}); !errors.As(err, &nf) {
		t.Fatalf("service from nl-ams-1: %v, want not found", err)
	}
	if _, err := api.GetOrderedService(&dedibox.GetOrderedServiceRequest{Zone: scw.ZoneNlAms1, OrderedServiceID: id}); !errors.As(err, &nf) {
		t.Fatalf("ordered service from nl-ams-1: %v, want not found", err)
	}
}

// TestSetServerQuota: the quota the preload sets applies to the next order
// and can be lifted again.
func TestSetServerQuota(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1, withRun())
	api := baremetal.NewAPI(f.client)
	f.sim.SetServerQuota(1)
	order := func() error {
		_, err := api.CreateServer(&baremetal.CreateServerRequest{OfferID: i215eNVMe, Name: "q"})
		return err
	}
	if err := order(); err != nil {
		t.Fatal(err)
	}
	var qe *scw.QuotasExceededError
	if err := order(); !errors.As(err, &qe) || qe.Details[0].Resource != "baremetal_servers" {
		t.Fatalf("second order: %v, want quotas_exceeded", err)
	}
	f.sim.SetServerQuota(0)
	if err := order(); err != nil {
		t.Fatalf("after lifting the quota: %v", err)
	}
}
