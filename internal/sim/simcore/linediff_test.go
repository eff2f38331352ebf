package simcore

import (
	"strings"
	"testing"
)

func renderOps(ops []LineOp) string {
	var sb strings.Builder
	for _, op := range ops {
		sb.WriteString(string(op.Kind) + op.Text + "\n")
	}
	return sb.String()
}

// TestLineOpsKeepsCommonLinesAndOrdersTies: common lines are kept, and a
// replaced line is written addition first or removal first as asked.
func TestLineOpsKeepsCommonLinesAndOrdersTies(t *testing.T) {
	a, b := []string{"auto lo", "mtu 1500", "end"}, []string{"auto lo", "mtu 9000", "end", "extra"}
	if got, want := renderOps(LineOps(a, b, false)), " auto lo\n-mtu 1500\n+mtu 9000\n end\n+extra\n"; got != want {
		t.Errorf("removals first:\n%s\nwant\n%s", got, want)
	}
	if got, want := renderOps(LineOps(a, b, true)), " auto lo\n+mtu 9000\n-mtu 1500\n end\n+extra\n"; got != want {
		t.Errorf("additions first:\n%s\nwant\n%s", got, want)
	}
	if got := LineOps(nil, nil, false); len(got) != 0 {
		t.Errorf("two empty lists differ: %v", got)
	}
}
