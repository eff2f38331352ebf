package scaleway

import (
	"testing"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// TestAPIMetadata: the SDK asks the gateway about itself after IAM and VPC
// calls; the answer is the real gateway's, and it is not a mutation.
func TestAPIMetadata(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1)
	m, err := f.client.GetAPIMetadata()
	if err != nil {
		t.Fatal(err)
	}
	if m.Domain != "scw.eu" || m.Partition != "scw" || m.Platform != "external" {
		t.Fatalf("metadata %+v", m)
	}
	if st := f.env.Log.Snapshot(); st.Mutating != 0 || len(st.Errors) != 0 {
		t.Fatalf("log %+v", st)
	}
}
