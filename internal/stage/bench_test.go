package stage

import (
	"testing"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// BenchmarkConvergedLabRun measures a run that finds nothing to do on a
// lab cluster in the in-process simulator (instant profile): the cost of
// observing everything, which every re-run, plan and status pays.
func BenchmarkConvergedLabRun(b *testing.B) {
	tw := newBenchWorld(b)
	b.ResetTimer()
	b.ReportAllocs()
	for b.Loop() {
		if rep, err := tw.up(""); err != nil {
			b.Fatalf("%v %v", err, rep.Failed())
		}
	}
}

func newBenchWorld(b *testing.B) *testWorld {
	b.Helper()
	tw := newTestWorld(b, "../../inventories/lab.yaml", withProfile(simcore.Instant, 1))
	if rep, err := tw.up(""); err != nil {
		b.Fatalf("first up: %v %v", err, rep.Failed())
	}
	return tw
}
