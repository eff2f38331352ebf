package proxmox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"

	pxapi "github.com/Telmate/proxmox-api-go/proxmox"
)

// fixtures are the recorded Proxmox captures kept with the tests
// (testdata/captures/SOURCES.md says where each was recorded). A missing
// file is a failure, never a skip.
const fixtures = "testdata/captures/"

// readFixture reads one recorded capture; a missing one fails the test.
func readFixture(t *testing.T, file string) []byte {
	t.Helper()
	raw, err := os.ReadFile(fixtures + file)
	if err != nil {
		t.Fatalf("a recorded capture is missing from testdata/captures (see its SOURCES.md): %v", err)
	}
	return raw
}

type apiEntry struct {
	Path string                    `json:"path"`
	Info map[string]map[string]any `json:"info"`
}

func loadSchema(t *testing.T, file string) map[string]map[string]any {
	t.Helper()
	raw := readFixture(t, file)
	var entries []apiEntry
	if err := json.Unmarshal(raw, &entries); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, e := range entries {
		for m, info := range e.Info {
			out[m+" "+e.Path] = info
		}
	}
	return out
}

// wireExceptions are places where the schema and the real wire disagree;
// the simulator follows the wire. Key: "METHOD path|json-path".
var wireExceptions = map[string]string{
	"GET /cluster/nextid|":                    "a string on the wire (pve-manager Cluster.pm nextid; Telmate asserts string)",
	"GET /nodes/{node}/ceph/mon|[].host":      "the hostname on the wire (pve-manager PVE/Ceph/Services.pm get_services_info)",
	"GET /nodes/{node}/ceph/mon|[].direxists": "1 on the wire (Services.pm get_local_services)",
	"GET /nodes/{node}/network|[].vlan-id":    "a string on the wire, as read from /etc/network/interfaces (pve-common INotify.pm); go-proxmox types it string",
}

// validate checks v against a PVE JSON schema: types (booleans are 0/1 on
// the wire) and required properties, recursively.
func validate(s map[string]any, v any, at string, errs *[]string) {
	typ, _ := s["type"].(string)
	bad := func(want string) { *errs = append(*errs, fmt.Sprintf("%s: want %s, got %T %v", at, want, v, short(v))) }
	switch typ {
	case "null":
		if v != nil {
			bad("null")
		}
	case "string":
		if _, ok := v.(string); !ok {
			bad("string")
		}
	case "integer":
		if f, ok := v.(float64); !ok || f != math.Trunc(f) {
			bad("integer")
		}
	case "number":
		if _, ok := v.(float64); !ok {
			bad("number")
		}
	case "boolean":
		if f, ok := v.(float64); !ok || (f != 0 && f != 1) {
			if _, isBool := v.(bool); !isBool {
				bad("boolean (0/1)")
			}
		}
	case "array":
		arr, ok := v.([]any)
		if !ok {
			bad("array")
			return
		}
		if items, ok := s["items"].(map[string]any); ok {
			for _, e := range arr {
				validate(items, e, at+"[]", errs)
			}
		}
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			bad("object")
			return
		}
		props, _ := s["properties"].(map[string]any)
		for name, p := range props {
			ps := p.(map[string]any)
			val, present := obj[name]
			if !present {
				if ps["optional"] == nil || ps["optional"] == 0.0 {
					*errs = append(*errs, at+"."+name+": required property missing")
				}
				continue
			}
			validate(ps, val, at+"."+name, errs)
		}
	}
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 80 {
		b = append(b[:80], "..."...)
	}
	return string(b)
}

// rawData returns a response's data through Telmate's session.
func rawData(t *testing.T, c *pxapi.Client, path string) any {
	t.Helper()
	var body map[string]any
	if err := c.GetJsonRetryable(context.Background(), path, &body, 1); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return body["data"]
}

// getData is rawData that returns the error instead of failing.
func getData(c *pxapi.Client, path string) (any, error) {
	var body map[string]any
	err := c.GetJsonRetryable(context.Background(), path, &body, 1)
	return body["data"], err
}
