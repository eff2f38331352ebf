package proxmox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	pxapi "github.com/Telmate/proxmox-api-go/proxmox"
)

// The key sets of real captured bodies (go-proxmox's pve8x mocks) appear in
// the simulator's answers.
func TestConformanceWithRealBodies(t *testing.T) {
	raw := readFixture(t, "go-proxmox-pve8x-selected-mocks.json")
	var mocks []struct {
		Method string            `json:"method"`
		Path   string            `json:"path_regex"`
		Params map[string]string `json:"match_params"`
		Status int               `json:"status"`
		Body   map[string]any    `json:"body"`
	}
	if err := json.Unmarshal(raw, &mocks); err != nil {
		t.Fatal(err)
	}
	w := newWorld(t)
	cs := fullCeph(t, w)
	b := cs["pve2"]
	w.mustTask(b, "/nodes/pve2/qemu", map[string]any{"vmid": 101, "name": "matt", "memory": 2048, "cores": 2, "vga": "qxl", "agent": 1,
		"net0": "virtio,bridge=vmbr0", "scsi0": "ceph-vm:16"})
	w.mustTask(b, "/nodes/pve2/qemu/101/status/start", nil)
	paths := map[string]string{"^/access/permissions$": "/access/permissions", "^/nodes$": "/nodes", "/cluster/status": "/cluster/status",
		"^/cluster/resources$": "/cluster/resources", "^/nodes/node1/qemu/101/status/current$": "/nodes/pve2/qemu/101/status/current"}
	compared := 0
	for _, m := range mocks {
		if strings.Contains(m.Path, "nextid") {
			compared += checkNextID(t, b, m.Params["vmid"], m.Status, m.Body)
			continue
		}
		compared++
		if m.Method == "POST" && m.Path == "^/access/ticket$" {
			data := m.Body["data"].(map[string]any)
			hc := w.httpClient("pve1", "")
			resp, err := hc.PostForm(w.apiURL("pve1")+"/access/ticket", map[string][]string{"username": {"root@pam"}, "password": {"pw-pve1"}})
			if err != nil {
				t.Fatal(err)
			}
			var got struct{ Data map[string]any }
			decodeBody(t, resp, &got)
			missingKeys(t, "POST /access/ticket", data, got.Data)
			continue
		}
		path, ok := paths[m.Path]
		if !ok || m.Method != "GET" {
			t.Errorf("mock %s %s not compared", m.Method, m.Path)
			continue
		}
		got := rawData(t, cs["pve1"], path)
		switch want := m.Body["data"].(type) {
		case map[string]any:
			missingKeys(t, path, want, got.(map[string]any))
		case []any:
			byType := map[string]map[string]any{}
			for _, e := range got.([]any) {
				byType[fmt.Sprint(e.(map[string]any)["type"])] = e.(map[string]any)
			}
			for _, e := range want {
				em := e.(map[string]any)
				if g := byType[fmt.Sprint(em["type"])]; g != nil {
					missingKeys(t, path+" type "+fmt.Sprint(em["type"]), withoutOptional(em), g)
				} else {
					t.Errorf("%s: no entry of type %v", path, em["type"])
				}
			}
		}
	}
	if compared != len(mocks) {
		t.Errorf("compared %d of %d captured bodies", compared, len(mocks))
	}
}

// checkNextID compares GET /cluster/nextid: a free ID as a string, a taken
// one as 400 with errors.vmid.
func checkNextID(t *testing.T, c *pxapi.Client, vmid string, status int, body map[string]any) int {
	t.Helper()
	path := "/cluster/nextid"
	if vmid == "200" {
		vmid = "101" // taken in this world, as 200 was in the capture
	}
	if vmid != "" {
		path += "?vmid=" + vmid
	}
	var got map[string]any
	err := c.GetJsonRetryable(context.Background(), path, &got, 1)
	if status == 400 {
		if ae := apiErr(err); ae == nil || ae.Code != "400" || ae.Errors["vmid"] != "VM 101 already exists" {
			t.Errorf("nextid of a taken ID = %v", err)
		}
		return 1
	}
	if _, isString := got["data"].(string); err != nil || !isString || fmt.Sprintf("%T", body["data"]) != "string" {
		t.Errorf("nextid = %v, %v", got, err)
	}
	return 1
}

// withoutOptional drops keys only some real entries carry (tags).
func withoutOptional(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if k != "tags" {
			out[k] = v
		}
	}
	return out
}

func missingKeys(t *testing.T, what string, want, got map[string]any) {
	t.Helper()
	for k, v := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: real body has %q, simulator's does not", what, k)
			continue
		}
		if fmt.Sprintf("%T", g) != fmt.Sprintf("%T", v) {
			t.Errorf("%s: %q is %T %s on the wire, the simulator sends %T %s", what, k, v, short(v), g, short(g))
		}
	}
}

// /cluster/ceph/status has the real `ceph status` structure: the same
// top-level keys with the same JSON kinds, and the sections' keys.
func TestConformanceCephStatus(t *testing.T) {
	raw := readFixture(t, "go-proxmox-pve8x-cluster-ceph-status.json")
	var real struct{ Data map[string]any }
	if err := json.Unmarshal(raw, &real); err != nil {
		t.Fatal(err)
	}
	w := newWorld(t)
	cs := fullCeph(t, w)
	got := rawData(t, cs["pve1"], "/cluster/ceph/status").(map[string]any)
	for k, v := range real.Data {
		g, ok := got[k]
		if !ok {
			t.Errorf("missing top-level key %q", k)
			continue
		}
		if fmt.Sprintf("%T", g) != fmt.Sprintf("%T", v) {
			t.Errorf("%s: kind %T, real %T", k, g, v)
		}
	}
	for _, section := range []string{"osdmap", "pgmap", "monmap", "health"} {
		missingKeys(t, section, real.Data[section].(map[string]any), got[section].(map[string]any))
	}
	mon := real.Data["monmap"].(map[string]any)["mons"].([]any)[0].(map[string]any)
	missingKeys(t, "monmap.mons[0]", mon, got["monmap"].(map[string]any)["mons"].([]any)[0].(map[string]any))
}
