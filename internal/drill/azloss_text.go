package drill

import (
	"fmt"
	"io"
	"strings"
)

// WriteText writes the report for a terminal: each promise held or
// broken, with what was measured.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "\naz-loss drill of cluster %s: AZ %s down for %s (%s), %d probes\n",
		r.Cluster, r.AZ, r.BackAt.Sub(r.DownAt).Round(100_000_000), r.Mode, len(r.Samples))
	if r.LeaderBefore != "" {
		fmt.Fprintf(w, "  etcd's leader before the drill: %s\n", r.LeaderBefore)
	}
	for _, s := range r.Resumed {
		fmt.Fprintf(w, "  note: %s\n", s)
	}
	for _, p := range r.Promises {
		verdict := "HELD  "
		if !p.Held {
			verdict = "BROKEN"
		}
		fmt.Fprintf(w, "  %s  %s: %s\n", verdict, p.Name, p.Measured)
		if p.Evidence != "" {
			fmt.Fprintf(w, "          %s\n", p.Evidence)
		}
	}
	fmt.Fprintf(w, "  not Ready while down: nodes %s; pods %s\n", list(r.NodesNotReady), list(r.PodsNotReady))
}

func list(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
