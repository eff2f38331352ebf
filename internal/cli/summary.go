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
		if t.Sealed {
			fmt.Fprintln(w, "               (sealed with age: tripod kubeconfig/talosconfig --merge or --out FILE open them)")
		}
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

// runSummary is the summary in JSON, the last line of `up -o json`.
type runSummary struct {
	Kind    string              `json:"kind"` // "summary"
	Cluster string              `json:"cluster"`
	Ready   bool                `json:"ready"`
	Took    time.Duration       `json:"took"`
	Retries map[string]int      `json:"retries"`
	Stages  []run.StageTiming   `json:"stages"`
	Talos   *stage.TalosSummary `json:"talos,omitempty"`
	Ceph    *stage.CephSummary  `json:"ceph,omitempty"`
	Failed  []string            `json:"failed,omitempty"`
}

func summaryJSON(ss *session, rep *run.Report, took time.Duration) runSummary {
	out := runSummary{Kind: "summary", Cluster: ss.inv.Cluster.Name, Ready: len(rep.Failed()) == 0, Took: took,
		Retries: ss.env.Retries.Counts(), Stages: rep.Stages}
	if t, ok := run.Fact[stage.TalosSummary](ss.facts, stage.TalosSummaryFact); ok {
		out.Talos = &t
	}
	if c, ok := run.Fact[stage.CephSummary](ss.facts, stage.CephSummaryFact); ok {
		out.Ceph = &c
	}
	for _, f := range rep.Failed() {
		out.Failed = append(out.Failed, f.Key.String())
	}
	return out
}
