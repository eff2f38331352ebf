package proxmox_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// rawCall does one authenticated request and returns status line and body.
func rawCall(t *testing.T, w *world, node, method, path string, form url.Values) (string, map[string]any) {
	t.Helper()
	hc := w.httpClient(node, "")
	resp, err := hc.PostForm(w.apiURL(node)+"/access/ticket", url.Values{"username": {"root@pam"}, "password": {w.hosts[node].RootPassword}})
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		Data struct{ Ticket, CSRFPreventionToken string }
	}
	decodeBody(t, resp, &login)
	req, _ := http.NewRequest(method, w.apiURL(node)+path, strings.NewReader(form.Encode()))
	req.Header.Set("Authorization", "PVEAuthCookie="+login.Data.Ticket)
	req.Header.Set("CSRFPreventionToken", login.Data.CSRFPreventionToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err = hc.Do(req); err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("%s %s: body %q is not JSON", method, path, raw)
	}
	return resp.Status, body
}

// Errors carry PVE's reason phrase (the message's first line), the message
// and, for 400, the per-parameter errors.
func TestErrorShapes(t *testing.T) {
	w := newWorld(t)
	w.addHost("pve1", "DC2", "198.51.100.11")
	create := url.Values{"vmid": {"100"}, "memory": {"1024"}, "scsi0": {"local-lvm:4"}}
	if st, _ := rawCall(t, w, "pve1", http.MethodPost, "/nodes/pve1/qemu", create); !strings.HasPrefix(st, "200") {
		t.Fatalf("create = %s", st)
	}
	st, body := rawCall(t, w, "pve1", http.MethodPost, "/nodes/pve1/qemu", create)
	want := "unable to create VM 100 - VM 100 already exists on node 'pve1'"
	if st != "500 "+want || body["message"] != want+"\n" || body["data"] != nil {
		t.Fatalf("taken VMID: %q %v", st, body)
	}
	st, body = rawCall(t, w, "pve1", http.MethodPost, "/nodes/pve1/qemu", url.Values{"vmid": {"101"}, "bogus": {"1"}})
	errs, _ := body["errors"].(map[string]any)
	if st != "400 Parameter verification failed." || errs["bogus"] == nil {
		t.Fatalf("unknown parameter: %q %v", st, body)
	}
}

// While a task runs its status has no exitstatus.
func TestTaskStatusWhileRunning(t *testing.T) {
	w := newWorldWith(t, simcore.Realistic, 0.05)
	w.addHost("pve1", "DC2", "198.51.100.11")
	c := w.client("pve1")
	upid, err := post(c, "/nodes/pve1/qemu", map[string]any{"vmid": 100, "memory": 1024, "scsi0": "local-lvm:4"})
	if err != nil {
		t.Fatal(err)
	}
	st := getMap(t, c, "/nodes/pve1/tasks/"+upid+"/status")
	if _, has := st["exitstatus"]; st["status"] != "running" || has || st["type"] != "qmcreate" || !strings.HasSuffix(upid, ":root@pam:") {
		t.Fatalf("running task status = %v (%s)", st, upid)
	}
	if cfg := getMap(t, c, "/nodes/pve1/qemu/100/config"); cfg["lock"] != "create" {
		t.Fatalf("config while creating = %v", cfg)
	}
	if got := w.wait(c, upid); got != "OK" {
		t.Fatalf("create ended %q", got)
	}
}
