package stage

import (
	"os"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/inventory"
)

// TestProjectWithoutAccessStopsBeforeAnyOrder: a project the credentials
// have no rights in is refused by preflight, in one sentence naming where
// the credentials and the project came from, before a single order (the
// offers preflight reads are public: it used to pass, and each order was
// refused instead).
func TestProjectWithoutAccessStopsBeforeAnyOrder(t *testing.T) {
	const other = "11111111-1111-4111-8111-111111111111"
	data, err := os.ReadFile("../../inventories/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), "  region: fr-par\n", "  region: fr-par\n  projectID: "+other+"\n", 1)
	inv, err := inventory.LoadBytes("lab.yaml", []byte(text), "../../inventories")
	if err != nil {
		t.Fatal(err)
	}
	tw := newTestWorld(t, "../../inventories/lab.yaml")
	tw.Env.Inv, tw.Env.ScalewaySource = inv, "the SCW_ACCESS_KEY and SCW_SECRET_KEY variables"
	rep, err := runUp(tw.Env)
	checkStoppedInPreflight(t, tw, rep, err, "account",
		"the credentials from the SCW_ACCESS_KEY and SCW_SECRET_KEY variables have no access to Scaleway project "+other+" (scaleway.projectID in lab.yaml): listing its dedibox servers in fr-par-1 was refused (403)")
}
