package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/stage"
)

// printSummary is what up says at the end: where the cluster is, what it is
// made of, where its client configs are, and how long each stage took.
func printSummary(w io.Writer, ss *session, rep *run.Report, until string, took time.Duration) {
	c, l := ss.inv.Cluster, ss.inv.Layout
	failed := len(rep.Failed())
	var state string
	switch stopped := stoppedAfter(until); {
	case stopped != "" && failed > 0:
		state = fmt.Sprintf("stopped after %s as asked (--until %s), with %d steps failed or blocked; the cluster is not ready", stopped, stopped, failed)
	case stopped != "":
		state = fmt.Sprintf("stopped after %s as asked (--until %s); the cluster is not ready yet", stopped, stopped)
	case failed > 0:
		state = fmt.Sprintf("is NOT ready: %d steps failed or blocked", failed)
	default:
		state = "is ready"
	}
	fmt.Fprintf(w, "\ncluster %s %s (%s, against %s)\n", c.Name, state, took.Round(time.Millisecond), ss.remote.label)
	if t, ok := stage.TalosSummaryOf(ss.facts); ok {
		fmt.Fprintf(w, "  endpoint     %s\n", t.Endpoint)
		for _, az := range t.AZs {
			fmt.Fprintf(w, "  %-12s %s\n", az, strings.Join(t.NodesPerAZ[az], ", "))
		}
		fmt.Fprintf(w, "  kubeconfig   %s\n  talosconfig  %s\n", t.Kubeconfig, t.Talosconfig)
		if t.Sealed {
			fmt.Fprintln(w, "               (sealed with age: tripod kubeconfig/talosconfig --merge or --out FILE open them)")
		}
		if c.Access.Via == inventory.ViaSSH {
			// The endpoint is on the private network: from here kubectl and
			// talosctl get there through the hosts, as tripod did.
			fmt.Fprintf(w, "  from here    tripod tunnel -i %s (the APIs are on the private network)\n", ss.flags.file)
		}
	} else {
		fmt.Fprintf(w, "  endpoint     %s (not checked in this run)\n", c.Talos.Endpoint)
		fmt.Fprintf(w, "  layout       %d hosts, %d control planes, %d workers across %d AZs\n", len(l.Hosts), len(l.ControlPlanes()), len(l.Workers()), len(c.AZs))
	}
	if ceph, ok := stage.CephSummaryOf(ss.facts); ok {
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

// stoppedAfter is the stage --until stopped the run after, or "" when the
// run went through every stage (no --until, or --until the last one).
func stoppedAfter(until string) string {
	names := stage.Names()
	if until == "" || until == names[len(names)-1] {
		return ""
	}
	return until
}

// runSummary is the summary in JSON: the summary of the run-end event, the
// last line of `up -o json` and of the run log.
type runSummary struct {
	Cluster string `json:"cluster"`
	// Ready is true only when every stage ran and no step failed.
	Ready bool `json:"ready"`
	// StoppedAfter is the --until stage when the run stopped before the end.
	StoppedAfter string              `json:"stoppedAfter,omitempty"`
	Took         time.Duration       `json:"took"`
	Retries      map[string]int      `json:"retries"`
	Stages       []run.StageTiming   `json:"stages"`
	Talos        *stage.TalosSummary `json:"talos,omitempty"`
	Ceph         *stage.CephSummary  `json:"ceph,omitempty"`
	Failed       []string            `json:"failed,omitempty"`
	// Calls is, per API, the requests, retries and polls the run counted.
	Calls map[string]run.APICalls `json:"calls"`
}

// outcome is run-end's outcome for s.
func (s runSummary) outcome() string {
	switch {
	case s.Ready:
		return "ready"
	case len(s.Failed) > 0:
		return "not-ready"
	case s.StoppedAfter != "":
		return "stopped"
	default:
		return "not-ready"
	}
}

func summaryJSON(ss *session, rep *run.Report, until string, took time.Duration) runSummary {
	stopped := stoppedAfter(until)
	out := runSummary{Calls: rep.Calls, Cluster: ss.inv.Cluster.Name, Ready: len(rep.Failed()) == 0 && stopped == "",
		StoppedAfter: stopped, Took: took, Retries: ss.env.Retries.Counts(), Stages: rep.Stages}
	if t, ok := stage.TalosSummaryOf(ss.facts); ok {
		out.Talos = &t
	}
	if c, ok := stage.CephSummaryOf(ss.facts); ok {
		out.Ceph = &c
	}
	for _, f := range rep.Failed() {
		out.Failed = append(out.Failed, f.Key.String())
	}
	return out
}
