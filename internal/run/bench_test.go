package run

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkRunnerOverhead measures the runner itself: 12 stages of 20
// targets each, every target needing its namesake in the stage before, and
// no remote work. A real run is dominated by remote waits; this is what
// tripod adds on top.
func BenchmarkRunnerOverhead(b *testing.B) {
	var stages []Stage
	for i := 0; i < 12; i++ {
		st := &fakeStage{name: fmt.Sprintf("s%02d", i)}
		for j := 0; j < 20; j++ {
			t := Target{ID: fmt.Sprintf("t%02d", j)}
			if i > 0 {
				t.Needs = []Key{On(fmt.Sprintf("s%02d", i-1), t.ID)}
			}
			st.targets = append(st.targets, t)
		}
		stages = append(stages, st)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (&Runner{Stages: stages}).Run(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
