package scaleway

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	baremetal "github.com/scaleway/scaleway-sdk-go/api/baremetal/v1"
	dedibox "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/retry"
)

const (
	accessKey = "SCWABCDEFGHIJKLMNOPQ"
	secretKey = "11111111-2222-4333-8444-555555555555"
	project   = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
)

func str(s string) *string { return &s }

// answering is a loopback API that answers every request with status and
// body, so errors travel through the real SDK.
func answering(t *testing.T, status int, contentType, body string) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Auth-Token") != secretKey {
			t.Errorf("request without the secret key as X-Auth-Token")
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	p := &scw.Profile{APIURL: str(srv.URL + "/"), AccessKey: str(accessKey), SecretKey: str(secretKey), DefaultProjectID: str(project), DefaultZone: str("")}
	c, err := New(p, srv.Client(), "")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestErrorsCarryEvidenceAndClassify(t *testing.T) {
	const json = "application/json"
	cases := []struct {
		name, ctype, body string
		status            int
		class             retry.Class
		answered          bool
		want              []string
		is                func(error) bool
	}{
		{"out of stock", json, `{"message":"resource is out of stock","resource":"dedibox_server","type":"out_of_stock"}`, 412, retry.Fatal, true,
			[]string{"failed to order it: Scaleway answered out_of_stock", "dedibox_server is out of stock"}, IsOutOfStock},
		{"quota", json, `{"message":"quota(s) exceeded for this resource","type":"quotas_exceeded","details":[{"resource":"baremetal_servers","quota":3,"current":3}]}`, 403, retry.Fatal, true,
			[]string{"quotas_exceeded", "baremetal_servers has reached its quota (3/3)"}, IsQuotaExceeded},
		{"deleted server", json, `{"message":"Not Found"}`, 404, retry.Fatal, true, []string{"Scaleway answered 404 Not Found"}, IsNotFound},
		{"typed not found", json, `{"message":"resource is not found","resource":"dedibox_server","resource_id":"1","type":"not_found"}`, 404, retry.Fatal, true, []string{"not_found"}, IsNotFound},
		{"transient state", json, `{"message":"resource is in a transient state","resource":"baremetal_server","resource_id":"x","current_state":"installing","type":"transient_state"}`, 409, retry.Transient, true,
			[]string{"transient state: installing"}, nil},
		{"denied", json, `{"message":"authentication is denied","method":"api_key","reason":"not_found","type":"denied_authentication"}`, 401, retry.Fatal, true,
			[]string{"denied_authentication", "API key does not exist"}, IsDeniedAuthentication},
		{"unavailable", json, `{"message":"service unavailable"}`, 503, retry.Transient, false, []string{"Scaleway answered 503 Service Unavailable: service unavailable"}, nil},
		{"rate limited", "text/plain", "slow down", 429, retry.Transient, true, []string{"Scaleway answered 429 Too Many Requests"}, nil},
		{"bad gateway html", "text/html", "<html>", 502, retry.Transient, false, []string{"502 Bad Gateway"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := answering(t, tc.status, tc.ctype, tc.body)
			_, err := c.Dedibox.CreateServer(&dedibox.CreateServerRequest{Zone: scw.ZoneFrPar1, OfferID: 1, ProjectID: c.ProjectID})
			if err == nil {
				t.Fatal("no error")
			}
			w := Wrap(err, "order it")
			for _, s := range tc.want {
				if !strings.Contains(w.Error(), s) {
					t.Errorf("%q lacks %q", w, s)
				}
			}
			if got := Classify(w).Class; got != tc.class {
				t.Errorf("class %v, want %v", got, tc.class)
			}
			if Answered(w) != tc.answered {
				t.Errorf("answered %v, want %v", Answered(w), tc.answered)
			}
			if tc.is != nil && !tc.is(w) {
				t.Error("the typed check does not see through Wrap")
			}
			if Evidence(err).Error() != strings.TrimPrefix(w.Error(), "failed to order it: ") {
				t.Errorf("Evidence %q differs from Wrap %q", Evidence(err), w)
			}
		})
	}
}

func TestClassifyNetworkAndPlainErrors(t *testing.T) {
	c := answering(t, 200, "application/json", `{}`)
	c2, _ := New(&scw.Profile{APIURL: str("http://127.0.0.1:1"), AccessKey: str(accessKey), SecretKey: str(secretKey)}, http.DefaultClient, project)
	_, err := c2.Metal.GetServer(&baremetal.GetServerRequest{Zone: scw.ZoneFrPar1, ServerID: "x"})
	if err == nil || Classify(err).Class != retry.Transient || Answered(err) {
		t.Fatalf("connection refused: %v class %v", err, Classify(err).Class)
	}
	if Classify(errors.New("bad input")).Class != retry.Fatal || Wrap(nil, "x") != nil || Evidence(nil) != nil {
		t.Fatal("plain errors are final; nil stays nil")
	}
	if _, err := c.Metal.GetServer(&baremetal.GetServerRequest{Zone: scw.ZoneFrPar1, ServerID: "x"}); err != nil {
		t.Fatalf("a trailing slash in the API URL must be tolerated: %v", err)
	}
}

func TestNewNeedsCredentialsAndProject(t *testing.T) {
	if _, err := New(nil, http.DefaultClient, project); !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("nil profile: %v", err)
	}
	if _, err := New(&scw.Profile{AccessKey: str(accessKey), SecretKey: str("")}, http.DefaultClient, project); !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("empty secret: %v", err)
	}
	if _, err := New(&scw.Profile{AccessKey: str(accessKey), SecretKey: str(secretKey)}, http.DefaultClient, ""); !errors.Is(err, ErrNoProject) {
		t.Fatalf("no project: %v", err)
	}
	_, err := New(&scw.Profile{AccessKey: str(accessKey), SecretKey: str("not-a-uuid-but-secret")}, http.DefaultClient, project)
	if err == nil || strings.Contains(err.Error(), "not-a-uuid-but-secret") {
		t.Fatalf("a malformed secret key must be refused without echoing it: %v", err)
	}
	c, err := New(&scw.Profile{AccessKey: str(accessKey), SecretKey: str(secretKey), DefaultProjectID: str("99999999-8888-4777-8666-555555555555")}, http.DefaultClient, project)
	if err != nil || c.ProjectID != project {
		t.Fatalf("the inventory's project overrides the profile's: %v %v", c, err)
	}
}

func TestCatalogHelpers(t *testing.T) {
	if z, err := DediboxZone("dc5"); err != nil || z != scw.ZoneFrPar2 {
		t.Errorf("DC5: %v %v", z, err)
	}
	if _, err := DediboxZone("DC9"); err == nil {
		t.Error("DC9 accepted")
	}
	if RegionOf(scw.ZoneNlAms1) != scw.RegionNlAms || RegionOf("xx-yy-9") != "xx-yy" {
		t.Error("RegionOf")
	}
	d := NewestProxmoxDedibox([]*dedibox.OS{{ID: 1, Name: "Proxmox", Version: "VE 8.4"}, {ID: 2, Name: "Proxmox", Version: "VE 9.0"}, {ID: 3, Name: "Debian", Version: "13"}})
	if d == nil || d.ID != 2 {
		t.Errorf("newest Dedibox Proxmox VE: %+v", d)
	}
	m := NewestProxmoxMetal([]*baremetal.OS{
		{ID: "pve8", Name: "Proxmox", Version: "VE 8 | Debian 12 (Bookworm)", Enabled: true},
		{ID: "pve7", Name: "Proxmox", Version: "VE 7 | Debian 11 (Bullseye)", Enabled: true},
		{ID: "pbs", Name: "Proxmox", Version: "Backup Server 2 | Debian 11 (Bullseye)", Enabled: true},
	}, []string{"pve8"})
	if m == nil || m.ID != "pve7" {
		t.Errorf("newest compatible Elastic Metal Proxmox VE: %+v", m)
	}
	if IsProxmoxVE("Proxmox", "Backup Server 2") {
		t.Error("Proxmox Backup Server is not Proxmox VE")
	}
}
