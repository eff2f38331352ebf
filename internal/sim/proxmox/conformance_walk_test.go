package proxmox_test

import (
	"sort"
	"strings"
	"testing"
)

// walkValues fill a route's path parameters with objects the walk's world
// holds, so every GET route can be asked.
var walkValues = map[string]string{
	"{node}": "pve2", "{vmid}": "101", "{name}": "ceph-vm", "{iface}": "vmbr1", "{storage}": "ceph-vm",
	"{userid}": "root@pam", "{tokenid}": "walk", "{sid}": "vm:101", "{pos}": "0",
}

// mutationsChecked are the methods that change state; the flows that build
// the walk's world (formCluster, fullCeph, the VM below) send each of them
// and fail on any answer but a UPID string or the documented object.
var mutationsChecked = map[string]bool{
	"POST /access/ticket": true, "POST /cluster/config": true, "POST /cluster/config/join": true, "POST /nodes/{node}/qemu": true,
	"POST /nodes/{node}/qemu/{vmid}/config": true, "PUT /nodes/{node}/qemu/{vmid}/config": true,
	"POST /nodes/{node}/qemu/{vmid}/status/start": true, "POST /nodes/{node}/qemu/{vmid}/status/stop": true,
	"DELETE /nodes/{node}/qemu/{vmid}": true, "POST /nodes/{node}/ceph/init": true, "POST /nodes/{node}/ceph/mon/{monid}": true,
	"POST /nodes/{node}/ceph/mgr/{id}": true, "POST /nodes/{node}/ceph/osd": true, "POST /nodes/{node}/ceph/pool": true,
	"POST /storage": true, "PUT /nodes/{node}/qemu/{vmid}/resize": true,
}

// notModelled are methods of the recorded schema the simulator does not serve.
var notModelled = map[string]string{
	"POST /cluster/config/nodes/{node}":    "addnode is pvecm's internal call; joins go through POST /cluster/config/join",
	"POST /nodes/{node}/qemu/{vmid}/clone": "the tool creates VMs from an ISO, never clones",
}

// outsideSubset are served routes the recorded schema subset does not hold
// (testdata/captures/SOURCES.md lists what it holds). Each says which typed
// client decodes its answer, so its field types are still checked by an
// implementation other than ours.
var outsideSubset = map[string]string{
	"GET /{$}":                                                   "the API index; go-proxmox Get(\"/\") in TestGoProxmoxDecodesEveryAnswer",
	"GET /cluster/tasks":                                         "go-proxmox Cluster.Tasks",
	"GET /nodes/{node}/ceph/mgr":                                 "pveceph's manager list; the ceph stage reads it through Telmate (internal/proxmox)",
	"GET /nodes/{node}/ceph/pool/{name}":                         "the ceph stage's pool read through Telmate",
	"GET /nodes/{node}/network/{iface}":                          "go-proxmox Node.Network",
	"GET /nodes/{node}/storage/{storage}/status":                 "go-proxmox Node.Storage",
	"GET /nodes/{node}/storage/{storage}/content":                "go-proxmox Storage.GetContent in TestGoProxmoxDecodesEveryAnswer",
	"GET /storage/{storage}":                                     "go-proxmox ClusterStorage",
	"GET /access/users/{userid}/token":                           "the os stage's token check through Telmate",
	"GET /access/users/{userid}/token/{tokenid}":                 "the os stage's token check through Telmate",
	"GET /nodes/{node}/qemu/{vmid}/pending":                      "Telmate's config drift read",
	"GET /nodes/{node}/qemu/{vmid}/snapshot":                     "go-proxmox VirtualMachine.Snapshots",
	"GET /nodes/{node}/qemu/{vmid}/agent/network-get-interfaces": "go-proxmox VirtualMachine.AgentGetNetworkIFaces",
	"GET /nodes/{node}/vncwebsocket":                             "a websocket upgrade, not JSON; term_test.go drives it",
	"POST /nodes/{node}/qemu/{vmid}/status/shutdown":             "answers a UPID string, as stop does",
	"POST /nodes/{node}/storage/{storage}/download-url":          "answers a UPID string; storage_test.go waits on it",
	"POST /nodes/{node}/termproxy":                               "term_test.go decodes its port, ticket and user",
	"POST /nodes/{node}/network":                                 "null; network_test.go",
	"PUT /nodes/{node}/network":                                  "a UPID string (the reload); network_test.go",
	"DELETE /nodes/{node}/network":                               "null (reverting pending changes)",
	"PUT /nodes/{node}/network/{iface}":                          "null; network_test.go",
	"DELETE /nodes/{node}/network/{iface}":                       "null; network_test.go",
	"PUT /storage/{storage}":                                     "the storage and type, as POST /storage",
	"DELETE /storage/{storage}":                                  "null",
	"POST /access/users/{userid}/token/{tokenid}":                "full-tokenid, info and value; auth_test.go",
	"PUT /access/users/{userid}/token/{tokenid}":                 "the token's info",
	"DELETE /access/users/{userid}/token/{tokenid}":              "null",
	"GET /cluster/firewall/options":                              "TestFirewallAPI (firewall_test.go) checks PVE's types and semantics: enable as an integer, positions, digests",
	"PUT /cluster/firewall/options":                              "TestFirewallAPI (firewall_test.go) checks PVE's types and semantics: enable as an integer, positions, digests",
	"GET /cluster/firewall/rules":                                "TestFirewallAPI (firewall_test.go) checks PVE's types and semantics: enable as an integer, positions, digests",
	"POST /cluster/firewall/rules":                               "TestFirewallAPI (firewall_test.go) checks PVE's types and semantics: enable as an integer, positions, digests",
	"PUT /cluster/firewall/rules/{pos}":                          "TestFirewallAPI (firewall_test.go) checks PVE's types and semantics: enable as an integer, positions, digests",
	"DELETE /cluster/firewall/rules/{pos}":                       "TestFirewallAPI (firewall_test.go) checks PVE's types and semantics: enable as an integer, positions, digests",
	"GET /nodes/{node}/firewall/options":                         "TestFirewallAPI (firewall_test.go) checks PVE's types and semantics: enable as an integer, positions, digests",
	"PUT /nodes/{node}/firewall/options":                         "TestFirewallAPI (firewall_test.go) checks PVE's types and semantics: enable as an integer, positions, digests",
	"GET /nodes/{node}/firewall/rules":                           "TestFirewallAPI (firewall_test.go) checks PVE's types and semantics: enable as an integer, positions, digests",
	"POST /nodes/{node}/firewall/rules":                          "TestFirewallAPI (firewall_test.go) checks PVE's types and semantics: enable as an integer, positions, digests",
	"PUT /nodes/{node}/firewall/rules/{pos}":                     "TestFirewallAPI (firewall_test.go) checks PVE's types and semantics: enable as an integer, positions, digests",
	"DELETE /nodes/{node}/firewall/rules/{pos}":                  "TestFirewallAPI (firewall_test.go) checks PVE's types and semantics: enable as an integer, positions, digests",
	"GET /cluster/firewall/aliases":                              "TestFirewallLocalNetworkAlias (firewall_alias_test.go) checks PVE's semantics: case-insensitive names, refused duplicates, the cidr format",
	"POST /cluster/firewall/aliases":                             "TestFirewallLocalNetworkAlias (firewall_alias_test.go) checks PVE's semantics: case-insensitive names, refused duplicates, the cidr format",
	"PUT /cluster/firewall/aliases/{name}":                       "TestFirewallLocalNetworkAlias (firewall_alias_test.go) checks PVE's semantics: case-insensitive names, refused duplicates, the cidr format",
	"DELETE /cluster/firewall/aliases/{name}":                    "TestFirewallLocalNetworkAlias (firewall_alias_test.go) checks PVE's semantics: case-insensitive names, refused duplicates, the cidr format",
}

// answersAnError are GET routes the walk's world answers with PVE's error,
// which is itself the real answer.
var answersAnError = map[string]string{
	"GET /cluster/ha/resources/{sid}":        "HA is not modelled: every lookup is PVE's \"no such resource\" error",
	"DELETE /cluster/ha/resources/{sid}":     "HA is not modelled: the tool's cleanup deletes nothing and is told so",
	"GET /cluster/firewall/rules/{pos}":      "the walk's world has no rules: PVE's \"no rule at position\" error",
	"GET /nodes/{node}/firewall/rules/{pos}": "the walk's world has no rules: PVE's \"no rule at position\" error",
	"GET /cluster/firewall/aliases/{name}":   "the walk's world has no aliases: PVE's \"no such alias\" error",
}

// Every route the simulated API serves (read from its router) is walked: a
// GET is asked, and its answer's every field is checked against both PVE
// schemas where they describe it; every method is either in the schema and
// checked, or listed with what checks it.
func TestConformanceWithPVESchema(t *testing.T) {
	schemas := []map[string]map[string]any{loadSchema(t, "apidata.pve-8.4.2.subset.json"), loadSchema(t, "apidata.pve-9.1.3.subset.json")}
	w := newWorld(t)
	cs := fullCeph(t, w)
	a, b := cs["pve1"], cs["pve2"]
	w.mustTask(b, "/nodes/pve2/qemu", map[string]any{"vmid": 101, "name": "matt", "memory": 2048, "cores": 2, "vga": "qxl", "agent": 1,
		"net0": "virtio,bridge=vmbr0", "scsi0": "ceph-vm:16", "tags": "tripod"})
	w.mustTask(b, "/nodes/pve2/qemu/101/status/start", nil)
	upid, _ := post(b, "/nodes/pve2/qemu/101/status/stop", nil)
	w.wait(b, upid)
	w.mustTask(b, "/nodes/pve2/qemu/101/status/start", nil)
	if _, err := post(a, "/access/users/root@pam/token/walk", map[string]any{"privsep": 0}); err != nil {
		t.Fatal(err)
	}
	values := map[string]string{"{upid}": upid}
	for k, v := range walkValues {
		values[k] = v
	}

	served := map[string]bool{}
	for _, r := range w.sim.Routes() {
		key := r.Method + " " + r.Path
		served[key] = true
		inSchema := schemas[0][key] != nil || schemas[1][key] != nil
		switch {
		case answersAnError[key] != "":
			if _, err := getData(a, fill(r.Path, values)); r.Method == "GET" && err == nil {
				t.Errorf("%s answered; the walk expects PVE's error (%s)", key, answersAnError[key])
			}
		case outsideSubset[key] != "":
			if inSchema {
				t.Errorf("%s is in the recorded schema now: check it against it instead of listing it", key)
			}
			if r.Method == "GET" && key != "GET /nodes/{node}/vncwebsocket" {
				if _, err := getData(a, fill(r.Path, values)); err != nil {
					t.Errorf("%s: %v", key, err)
				}
			}
		case !inSchema:
			t.Errorf("%s is served but neither in the recorded schema nor listed with what checks it", key)
		case r.Method == "GET":
			checkAgainstSchemas(t, key, rawData(t, a, fill(r.Path, values)), schemas)
		case !mutationsChecked[key]:
			t.Errorf("%s is in the schema but no flow of this test sends it", key)
		}
	}
	for _, list := range []map[string]string{outsideSubset, answersAnError} {
		for key := range list {
			if !served[key] {
				t.Errorf("%s is listed but not served", key)
			}
		}
	}
	var keys []string
	for k := range schemas[1] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		if !served[key] && notModelled[key] == "" {
			t.Errorf("%s is in the API subset but neither served nor listed as not modelled", key)
		}
	}
	if e := errs(w); e != "" {
		t.Errorf("recorded errors: %s", e)
	}
}

// checkAgainstSchemas validates one answer against each schema that has
// the method, leaving out the documented wire exceptions.
func checkAgainstSchemas(t *testing.T, key string, data any, schemas []map[string]map[string]any) {
	t.Helper()
	for i, schema := range schemas {
		if schema[key] == nil {
			continue
		}
		ret, _ := schema[key]["returns"].(map[string]any)
		var problems []string
		validate(ret, data, "", &problems)
		for _, p := range problems {
			if _, known := wireExceptions[key+"|"+strings.SplitN(p, ":", 2)[0]]; !known {
				t.Errorf("%s (schema %d): %s", key, i, p)
			}
		}
	}
}

// fill replaces a template's parameters; "{$}" anchors and becomes "".
func fill(path string, values map[string]string) string {
	path = strings.ReplaceAll(path, "{$}", "")
	for k, v := range values {
		path = strings.ReplaceAll(path, k, v)
	}
	return path
}
