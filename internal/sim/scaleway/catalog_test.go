package scaleway

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// recordedBody returns the JSON answer of the first interaction whose
// method and URL contain the given strings.
func recordedBody(t *testing.T, c cassette, method, urlPart string) map[string]any {
	t.Helper()
	for _, it := range c.Interactions {
		if it.Request.Method == method && strings.Contains(it.Request.URL, urlPart) {
			v, ok := recordedJSON(it.Response.Body)
			if !ok {
				t.Fatalf("%s %s: recorded body is not JSON", method, urlPart)
			}
			return v.(map[string]any)
		}
	}
	t.Fatalf("no recorded %s %s", method, urlPart)
	return nil
}

// asJSON round-trips v through JSON, to compare it with a recorded body.
func asJSON(t *testing.T, v any) any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEMOffersMatchRecording checks the transcribed offer table against the
// newest recorded list, field by field.
func TestEMOffersMatchRecording(t *testing.T) {
	c := loadCassette(t, "server-create-server-with-service-password.cassette.yaml")
	recorded := recordedBody(t, c, "GET", "/offers?")["offers"].([]any)
	if len(recorded) != len(emOffers) {
		t.Fatalf("recorded %d offers, the table has %d", len(recorded), len(emOffers))
	}
	f := newFixture(t, simcore.Instant, 1)
	fields := []string{"id", "name", "stock", "bandwidth", "max_bandwidth", "commercial_range", "price_per_hour",
		"disks", "cpus", "quota_name", "private_bandwidth", "gpus", "monthly_offer_id", "subscription_period"}
	for _, r := range recorded {
		rec := r.(map[string]any)
		o, ok := emOfferByID(rec["id"].(string))
		if !ok {
			t.Errorf("recorded offer %s is missing", rec["name"])
			continue
		}
		ours := asJSON(t, f.sim.emOfferWire(o, "fr-par-2")).(map[string]any)
		for _, k := range fields {
			if !reflect.DeepEqual(ours[k], rec[k]) {
				t.Errorf("%s.%s: %v, recorded %v", o.Name, k, ours[k], rec[k])
			}
		}
		mem := rec["memories"].([]any)[0].(map[string]any)
		if om := ours["memories"].([]any)[0].(map[string]any); om["capacity"] != mem["capacity"] || om["type"] != mem["type"] || om["frequency"] != mem["frequency"] {
			t.Errorf("%s memory: %v, recorded %v", o.Name, om, mem)
		}
		if !subsetOf(ours["tags"], rec["tags"]) || !subsetOf(rec["tags"], ours["tags"]) {
			t.Errorf("%s tags: %v, recorded %v", o.Name, ours["tags"], rec["tags"])
		}
		if !subsetOf(ours["incompatible_os_ids"], rec["incompatible_os_ids"]) {
			t.Errorf("%s: incompatible OS %v not all recorded in %v", o.Name, ours["incompatible_os_ids"], rec["incompatible_os_ids"])
		}
	}
}

func subsetOf(a, b any) bool {
	as, _ := a.([]any)
	bs, _ := b.([]any)
	for _, x := range as {
		if !slices.Contains(bs, x) {
			return false
		}
	}
	return true
}

// TestEMOSMatchRecording: every modelled OS is the recorded one, exactly.
func TestEMOSMatchRecording(t *testing.T) {
	c := loadCassette(t, "server-create-server-with-service-password.cassette.yaml")
	recorded := map[string]any{}
	for _, os := range recordedBody(t, c, "GET", "/os?")["os"].([]any) {
		recorded[os.(map[string]any)["id"].(string)] = os
	}
	for _, os := range emOSes {
		ours := asJSON(t, os.wire("fr-par-2")).(map[string]any)
		rec, ok := recorded[os.ID].(map[string]any)
		if !ok {
			t.Errorf("%s %s is not in the recording", os.Name, os.Version)
			continue
		}
		if _, has := rec["cloud_init_version"]; !has {
			delete(ours, "cloud_init_version") // the gateway omits it when null
		}
		if !reflect.DeepEqual(ours, rec) {
			t.Errorf("%s %s:\n ours     %v\n recorded %v", os.Name, os.Version, ours, rec)
		}
	}
}

// TestDefaultSchemasMatchRecording: the proposed partitioning is the one the
// real API filled in, to the byte, for Proxmox VE 8 and for Ubuntu 20.04.
func TestDefaultSchemasMatchRecording(t *testing.T) {
	o, _ := emOfferByName("EM-I215E-NVME")
	for cassetteName, osID := range map[string]string{
		"server-create-server-with-service-password.cassette.yaml": pve8ID,
		"test-install-server-simple-with-id.cassette.yaml":         ubuntu20,
	} {
		c := loadCassette(t, cassetteName)
		var rec any
		for _, it := range c.Interactions {
			if body, ok := recordedJSON(it.Response.Body); ok && it.Request.Method == "POST" {
				if in, ok := body.(map[string]any)["install"].(map[string]any); ok && in["partitioning_schema"] != nil {
					rec = in["partitioning_schema"]
					break
				}
			}
		}
		os, _ := emOSByID(osID)
		if ours := asJSON(t, defaultSchema(o, os)); !reflect.DeepEqual(ours, rec) {
			t.Errorf("%s:\n ours     %v\n recorded %v", os.Version, ours, rec)
		}
	}
}
