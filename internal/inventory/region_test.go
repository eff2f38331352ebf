package inventory

import "testing"

func TestDediboxRegion(t *testing.T) {
	for dc, want := range map[string]string{"DC2": "fr-par", "DC3": "fr-par", "DC5": "fr-par", "AMS1": "nl-ams", "DC9": "", "dc3": ""} {
		got, ok := DediboxRegion(dc)
		if got != want || ok != (want != "") {
			t.Errorf("DediboxRegion(%q) = %q, %v; want %q", dc, got, ok, want)
		}
	}
}
