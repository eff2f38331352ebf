package sim

import (
	"testing"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// The operator's position is reported by /info, and decides whether a
// private listener appears in the operator's /netmap.
func TestOperatorPositionInInfoAndNetmap(t *testing.T) {
	for _, c := range []struct {
		opt       simcore.Operator
		want      string
		published int // entries in /netmap: the factory, plus the VM when reachable
	}{
		{"", "private", 2},
		{simcore.OperatorPrivate, "private", 2},
		{simcore.OperatorPublic, "public", 1},
	} {
		w := startWorld(t, Options{Profile: simcore.Instant, Operator: c.opt})
		if _, err := w.Env.Listen("10.20.0.11:50000", "DC2", "talos"); err != nil {
			t.Fatal(err)
		}
		var info struct{ Operator string }
		getJSON(t, w.AdminURL()+"/info", &info)
		if info.Operator != c.want {
			t.Errorf("Operator %q: /info says %q, want %q", c.opt, info.Operator, c.want)
		}
		var nm struct{ Entries []simcore.NetEntry }
		getJSON(t, w.AdminURL()+"/netmap", &nm)
		if len(nm.Entries) != c.published {
			t.Errorf("Operator %q: /netmap %+v, want %d entries", c.opt, nm.Entries, c.published)
		}
	}
}
