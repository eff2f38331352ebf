package run

import "testing"

type tableA struct{ n int }
type tableB struct{ n int }

// TestFactsTablePerType proves each type gets one table per run, shared by
// every caller, and that two types never share one.
func TestFactsTablePerType(t *testing.T) {
	var f Facts
	Table[tableA](&f).n = 1
	Table[tableB](&f).n = 2
	if a, b := Table[tableA](&f), Table[tableB](&f); a.n != 1 || b.n != 2 {
		t.Fatalf("tables %d %d, want 1 2", a.n, b.n)
	}
	if Table[tableA](&Facts{}).n != 0 {
		t.Fatal("a new run's table is not empty")
	}
}
