package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/stage"
)

func newStatusCommand(s Streams) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "status -i FILE",
		Short: "Observe the cluster: what is in place, what differs from the inventory",
		Long: `Observe every remote system as up would, without changing anything, and report per
host, VM and step whether it matches the inventory, has changes pending (see plan for
them), or could not be observed; then the endpoint, the nodes per AZ and Ceph's health.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ss, err := openSession(cmd.Context(), s, f, "tripod status", true)
			if err != nil {
				return err
			}
			defer ss.Close()
			ss.sink = run.Sinks{}
			rep, err := ss.runner("", true).Run(cmd.Context())
			if err != nil && rep == nil {
				return err
			}
			if f.output == "json" {
				return json.NewEncoder(s.Out).Encode(statusJSON(ss, rep))
			}
			printStatus(s.Out, ss, rep)
			return nil
		},
	}
	addRunFlags(cmd, f)
	return cmd
}

type statusStep struct {
	Stage   string `json:"stage"`
	Target  string `json:"target"`
	State   string `json:"state"` // in-place, pending, unknown
	Changes int    `json:"changes"`
	Note    string `json:"note,omitempty"`
}

func stepState(r run.StepResult) statusStep {
	st := statusStep{Stage: r.Key.Stage, Target: r.Key.Target, Changes: len(r.Mutations), Note: r.Reason}
	switch r.Status {
	case run.StatusUnchanged:
		st.State = "in-place"
	case run.StatusPlanned:
		st.State = "pending"
	default:
		st.State = "unknown"
		if r.Err != nil {
			st.Note = r.Err.Error()
		}
	}
	return st
}

func statusJSON(ss *session, rep *run.Report) map[string]any {
	var steps []statusStep
	for _, r := range rep.Steps {
		steps = append(steps, stepState(r))
	}
	out := map[string]any{"cluster": ss.inv.Cluster.Name, "steps": steps}
	if t, ok := run.Fact[stage.TalosSummary](ss.facts, stage.TalosSummaryFact); ok {
		out["talos"] = t
	}
	if c, ok := run.Fact[stage.CephSummary](ss.facts, stage.CephSummaryFact); ok {
		out["ceph"] = c
	}
	return out
}

func printStatus(w io.Writer, ss *session, rep *run.Report) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tTARGET\tSTATE\tNOTE")
	inPlace, pending, unknown := 0, 0, 0
	for _, r := range rep.Steps {
		st := stepState(r)
		switch st.State {
		case "in-place":
			inPlace++
		case "pending":
			pending++
			if st.Changes > 0 {
				st.Note = fmt.Sprintf("%d changes (tripod plan)", st.Changes)
			}
		default:
			unknown++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", st.Stage, st.Target, st.State, st.Note)
	}
	tw.Flush()
	fmt.Fprintf(w, "\ncluster %s: %d steps in place, %d with changes pending, %d not observable\n", ss.inv.Cluster.Name, inPlace, pending, unknown)
	if t, ok := run.Fact[stage.TalosSummary](ss.facts, stage.TalosSummaryFact); ok {
		fmt.Fprintf(w, "  endpoint     %s\n  kubeconfig   %s\n  talosconfig  %s\n", t.Endpoint, t.Kubeconfig, t.Talosconfig)
	}
	if c, ok := run.Fact[stage.CephSummary](ss.facts, stage.CephSummaryFact); ok {
		fmt.Fprintf(w, "  ceph         %s\n", c.Health)
	}
}
