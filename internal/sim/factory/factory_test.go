package factory_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/sim/factory"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// The expected IDs are the real factory's published test vectors
// (siderolabs/image-factory pkg/schematic/schematic_test.go).
func TestSchematicIDMatchesRealFactory(t *testing.T) {
	for _, tc := range []struct{ name, body, id string }{
		{"empty", `{}`, factory.EmptySchematicID},
		{"empty customization", `customization: {"extraKernelArgs": []}`, factory.EmptySchematicID},
		{"extra args", `{"customization": {"extraKernelArgs": ["noapic", "nolapic"], "systemExtensions": {}}}`, "9cba8e32753f91a16c1837ab8abf356af021706ef284aef07380780177d9a06c"},
		{"meta", `{"customization": {"meta": [{"key": 10, "value": "foo"}]}}`, "d308a2a5ee2277bed5fbaa104fcbc8d59122abfa737df987a95b4ca763459a7f"},
		{"overlay", `{"overlay": {"name": "rpi_generic", "image": "siderolabs/sbc-raspberrypi"}}`, "ee21ef4a5ef808a9b7484cc0dda0f25075021691c8c09a276591eedb638ea1f9"},
		{"secureboot", `{"customization":{"secureboot": {"includeWellKnownCertificates": true}}}`, "fa8e05f142a851d3ee568eb0a8e5841eaf6b0ebc8df9a63df16ac5ed2c04f3e6"},
		{"guest agent", "customization:\n  systemExtensions:\n    officialExtensions:\n      - siderolabs/qemu-guest-agent\n", "ce4c980550dd2ab1b17bbf2b08801c7eb59418eafe8f279833297925d67c7515"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, _, err := factory.SchematicID([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if id != tc.id {
				t.Errorf("ID = %s; want %s", id, tc.id)
			}
		})
	}
	if _, _, err := factory.SchematicID([]byte(`customization: {unknownField: 1}`)); err == nil {
		t.Error("unknown field accepted; the real factory decodes strictly")
	}
}

func TestFactoryRoutes(t *testing.T) {
	env := simcore.NewEnv(simcore.Instant, 1, 1)
	f := factory.New(env)
	srv := httptest.NewServer(f)
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/schematics", "application/yaml",
		strings.NewReader("customization:\n  systemExtensions:\n    officialExtensions: [siderolabs/qemu-guest-agent]\n"))
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /schematics = %d, %v", resp.StatusCode, err)
	}
	resp.Body.Close()

	url := srv.URL + "/image/" + created.ID + "/v1.13.9/nocloud-amd64.iso"
	body := get(t, url, http.StatusOK)
	sum := sha256.Sum256(body)
	wantSum, size, ok := f.Checksum(created.ID, "v1.13.9", "nocloud-amd64.iso")
	if !ok || hex.EncodeToString(sum[:]) != wantSum || int64(len(body)) != size || size != factory.DefaultImageSize {
		t.Fatalf("served image (%d bytes) does not match Checksum %s/%d/%v", len(body), wantSum, size, ok)
	}
	if again := get(t, url, http.StatusOK); string(again) != string(body) {
		t.Error("image content is not deterministic")
	}
	get(t, srv.URL+"/image/"+strings.Repeat("0", 64)+"/v1.13.9/nocloud-amd64.iso", http.StatusNotFound)
	get(t, srv.URL+"/image/"+created.ID+"/v0.0.1/nocloud-amd64.iso", http.StatusNotFound)

	var versions []string
	if err := json.Unmarshal(get(t, srv.URL+"/versions", http.StatusOK), &versions); err != nil || len(versions) == 0 {
		t.Fatalf("GET /versions = %v, %v", versions, err)
	}

	get(t, srv.URL+"/nope", http.StatusNotImplemented)
	if errs := env.Log.Errors(); len(errs) != 1 || errs[0].Kind != "unmodelled" {
		t.Errorf("recorded errors = %+v; want the unmodelled route", errs)
	}
}

func TestRegisterAndSaveLoad(t *testing.T) {
	env := simcore.NewEnv(simcore.Instant, 1, 1)
	f := factory.New(env)
	id := strings.Repeat("ab", 32)
	if _, _, ok := f.Checksum(id, "v1.13.9", "nocloud-amd64.iso"); ok {
		t.Fatal("unknown schematic served")
	}
	f.Register(id)
	if _, _, ok := f.Checksum(id, "v1.13.9", "nocloud-amd64.iso"); !ok {
		t.Fatal("registered schematic not served")
	}
	data, err := f.Save()
	if err != nil {
		t.Fatal(err)
	}
	g := factory.New(env)
	if err := g.Load(data); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := g.Checksum(id, "v1.13.9", "nocloud-amd64.iso"); !ok {
		t.Fatal("schematic lost across Save/Load")
	}
}

func get(t *testing.T, url string, want int) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("GET %s = %d; want %d", url, resp.StatusCode, want)
	}
	return body
}
