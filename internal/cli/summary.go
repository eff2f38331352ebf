package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/stage"
)

// printSummary is what up says at the end: where the cluster is, what it is
// made of, where its client configs are, and how long each stage took.
func printSummary(w io.Writer, ss *session, rep *run.Report, took time.Duration) {
	c, l := ss.inv.Cluster, ss.inv.Layout
	failed := len(rep.Failed())
	state := "ready"
	if failed > 0 {
		state = fmt.Sprintf("NOT ready: %d steps failed or blocked", failed)
	}
	fmt.Fprintf(w, "\ncluster %s is %s (%s, against %s)\n", c.Name, state, took.Round(time.Millisecond), ss.remote.label)
	if t, ok := run.Fact[stage.TalosSummary](ss.facts, stage.TalosSummaryFact); ok {
		fmt.Fprintf(w, "  endpoint     %s\n", t.Endpoint)
		for _, az := range t.AZs {
			fmt.Fprintf(w, "  %-12s %s\n", az, strings.Join(t.NodesPerAZ[az], ", "))
		}
		fmt.Fprintf(w, "  kubeconfig   %s\n  talosconfig  %s\n", t.Kubeconfig, t.Talosconfig)
	} else {
		fmt.Fprintf(w, "  endpoint     %s (not checked in this run)\n", c.Talos.Endpoint)
		fmt.Fprintf(w, "  layout       %d hosts, %d control planes, %d workers across %d AZs\n", len(l.Hosts), len(l.ControlPlanes()), len(l.Workers()), len(c.AZs))
	}
	if ceph, ok := run.Fact[stage.CephSummary](ss.facts, stage.CephSummaryFact); ok {
		fmt.Fprintf(w, "  ceph         %s (pools: %s)\n", ceph.Health, strings.Join(ceph.Pools, ", "))
	}
	if r := ss.env.Retries.String(); r != "" {
		fmt.Fprintf(w, "  retries      %s\n", r)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tSTEPS\tCHANGED\tFAILED\tTOOK")
	for _, st := range rep.Stages {
		changed, bad := 0, 0
		for _, r := range rep.Steps {
			if r.Key.Stage != st.Name {
				continue
			}
			switch r.Status {
			case run.StatusChanged:
				changed++
			case run.StatusFailed, run.StatusBlocked, run.StatusCanceled:
				bad++
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\n", st.Name, st.Steps, changed, bad, st.Duration.Round(time.Millisecond))
	}
	tw.Flush()
}
