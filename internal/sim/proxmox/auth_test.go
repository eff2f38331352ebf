package proxmox_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	pxapi "github.com/Telmate/proxmox-api-go/proxmox"
)

func TestLoginAndVersion(t *testing.T) {
	w := newWorld(t)
	w.addHost("pve1", "DC2", "198.51.100.11")
	c := w.client("pve1")
	v, err := c.GetVersion(context.Background())
	if err != nil || v.Major != 8 || v.Minor != 4 {
		t.Fatalf("GetVersion = %+v, %v", v, err)
	}
	bad := w.anonClient("pve1", "")
	err = bad.Login(context.Background(), "root@pam", "wrong", "")
	if ae := apiErr(err); ae == nil || ae.Code != "401" || ae.Message != "authentication failure" {
		t.Fatalf("login with a bad password = %v; want 401 authentication failure", err)
	}
	if _, err := bad.GetVersion(context.Background()); apiErr(err) == nil || apiErr(err).Code != "401" {
		t.Fatalf("unauthenticated GET /version = %v; want 401", err)
	}
}

// A ticket without the CSRF header may read but not write.
func TestCSRFRequiredForWrites(t *testing.T) {
	w := newWorld(t)
	w.addHost("pve1", "DC2", "198.51.100.11")
	hc := w.httpClient("pve1", "")
	resp, err := hc.PostForm(w.apiURL("pve1")+"/access/ticket", url.Values{"username": {"root@pam"}, "password": {"pw-pve1"}})
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		Data struct{ Ticket, CSRFPreventionToken string }
	}
	decodeBody(t, resp, &login)
	if !strings.HasPrefix(login.Data.Ticket, "PVE:root@pam:") || !strings.Contains(login.Data.Ticket, "::") {
		t.Fatalf("ticket %q is not in PVE's format", login.Data.Ticket)
	}
	req, _ := http.NewRequest(http.MethodPost, w.apiURL("pve1")+"/nodes/pve1/network", strings.NewReader("iface=vmbr9&type=bridge"))
	req.Header.Set("Cookie", "PVEAuthCookie="+url.QueryEscape(login.Data.Ticket))
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.Contains(resp.Status, "invalid csrf token") {
		t.Fatalf("write without CSRF = %s; want 401 invalid csrf token", resp.Status)
	}
	req, _ = http.NewRequest(http.MethodGet, w.apiURL("pve1")+"/nodes", nil)
	req.Header.Set("Cookie", "PVEAuthCookie="+url.QueryEscape(login.Data.Ticket))
	if resp, err = hc.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("read with cookie = %v, %v", resp, err)
	}
	resp.Body.Close()
}

func TestAPITokens(t *testing.T) {
	w := newWorld(t)
	w.addHost("pve1", "DC2", "198.51.100.11")
	root := w.client("pve1")
	user := pxapi.UserID{Name: "root", Realm: "pam"}
	off := false
	secret, err := root.New().ApiToken.Create(context.Background(), user, pxapi.ApiTokenConfig{Name: "tripod", PrivilegeSeparation: &off})
	if err != nil || len(secret) != 36 {
		t.Fatalf("token create = %q, %v", secret, err)
	}
	list, err := root.New().ApiToken.List(context.Background(), user)
	if err != nil || list.Len() != 1 || list.AsArray()[0].GetName() != "tripod" || list.AsArray()[0].GetPrivilegeSeparation() {
		t.Fatalf("token list = %v, %v", list, err)
	}
	tok := w.tokenClient("pve1", "root@pam!tripod", string(secret))
	if _, err := tok.GetNodeList(context.Background()); err != nil {
		t.Fatalf("token read: %v", err)
	}
	_, err = post(tok, "/cluster/config", map[string]any{"clustername": "tripod"})
	if ae := apiErr(err); ae == nil || ae.Code != "403" || ae.Message != "Permission check failed (user != root@pam)" {
		t.Fatalf("token cluster create = %v; want 403 Permission check failed (user != root@pam)", err)
	}
	if _, err := root.New().ApiToken.Create(context.Background(), user, pxapi.ApiTokenConfig{Name: "tripod"}); err == nil {
		t.Fatal("duplicate token accepted")
	}
	deleted, err := root.New().ApiToken.Delete(context.Background(), pxapi.ApiTokenID{User: user, TokenName: "tripod"})
	if err != nil || !deleted {
		t.Fatalf("token delete = %v, %v", deleted, err)
	}
	if _, err := tok.GetVersion(context.Background()); apiErr(err) == nil || apiErr(err).Code != "401" {
		t.Fatalf("deleted token still works: %v", err)
	}
}

func TestUnmodelledRoute501(t *testing.T) {
	w := newWorld(t)
	w.addHost("pve1", "DC2", "198.51.100.11")
	c := w.client("pve1")
	_, err := c.GetItemConfigMapStringInterface(context.Background(), "/nodes/pve1/rrddata?timeframe=hour", "rrd", "data")
	if ae := apiErr(err); ae == nil || ae.Code != "501" {
		t.Fatalf("unmodelled route = %v; want 501", err)
	}
	errs := w.env.Log.Errors()
	if len(errs) != 1 || errs[0].Kind != "unmodelled" || !strings.Contains(errs[0].Detail, "rrddata") {
		t.Fatalf("recorded errors = %+v", errs)
	}
}

// The pinned fingerprint protects the client: a swapped certificate fails.
func TestSwapCertificateFailsPinnedClient(t *testing.T) {
	w := newWorld(t)
	w.addHost("pve1", "DC2", "198.51.100.11")
	fp := w.sim.Fingerprint("pve1")
	if err := w.sim.SwapCertificate("pve1"); err != nil {
		t.Fatal(err)
	}
	if w.sim.Fingerprint("pve1") == fp {
		t.Fatal("fingerprint unchanged")
	}
	c := w.anonClient("pve1", fp)
	if err := c.Login(context.Background(), "root@pam", "pw-pve1", ""); err == nil || !strings.Contains(err.Error(), "does not match pinned") {
		t.Fatalf("login against a swapped certificate = %v", err)
	}
}
