package cli

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/tripod-dev/tripod/internal/report"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/stage"
)

// runFolder is the run's folder in the state directory, beside its event
// log runs/<run id>-<command>.jsonl.
func (ss *session) runFolder() string { return filepath.Join("runs", ss.dir.RunID) }

// writeReport writes report.html and summary.md into the run's folder. A
// report that cannot be written is a note, not a failed run: the cluster is
// what it is either way.
func (ss *session) writeReport(rep *run.Report, outcome string, took time.Duration) {
	in := report.Input{Cluster: ss.inv.Cluster.Name, Command: ss.info.Command, RunID: ss.dir.RunID,
		Outcome: outcome, Took: took, Report: rep, Summary: ss.summaryRows()}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"report.html": func(b *bytes.Buffer) error { return report.WriteHTML(b, in) },
		"summary.md":  func(b *bytes.Buffer) error { return report.WriteMarkdown(b, in) },
	} {
		var b bytes.Buffer
		err := write(&b)
		if err == nil {
			err = ss.dir.WriteFile(filepath.Join(ss.runFolder(), name), b.Bytes(), 0o600)
		}
		if err != nil {
			fmt.Fprintf(ss.out, "note: no %s: %v\n", name, err)
		}
	}
}

// summaryRows is the final cluster summary as the report shows it.
func (ss *session) summaryRows() []report.Row {
	c, l := ss.inv.Cluster, ss.inv.Layout
	rows := []report.Row{{Label: "against", Value: ss.remote.label},
		{Label: "layout", Value: fmt.Sprintf("%d hosts, %d control planes, %d workers across %d AZs", len(l.Hosts), len(l.ControlPlanes()), len(l.Workers()), len(c.AZs))}}
	if t, ok := stage.TalosSummaryOf(ss.facts); ok {
		rows = append(rows, report.Row{Label: "endpoint", Value: t.Endpoint})
		for _, az := range t.AZs {
			rows = append(rows, report.Row{Label: az, Value: strings.Join(t.NodesPerAZ[az], ", ")})
		}
		rows = append(rows, report.Row{Label: "kubeconfig", Value: t.Kubeconfig}, report.Row{Label: "talosconfig", Value: t.Talosconfig})
	} else {
		rows = append(rows, report.Row{Label: "endpoint", Value: c.Talos.Endpoint + " (not checked in this run)"})
	}
	if ceph, ok := stage.CephSummaryOf(ss.facts); ok {
		rows = append(rows, report.Row{Label: "ceph", Value: fmt.Sprintf("%s (pools: %s)", ceph.Health, strings.Join(ceph.Pools, ", "))})
	}
	return rows
}
