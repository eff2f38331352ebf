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
them), or could not be observed; then the endpoint, the nodes per AZ and Ceph's health.
A target that cannot be observed (an AZ gone dark) leaves the other AZs' targets observed.

Exit codes: 0 everything observed and in place; 1 status could not run (inventory, state
directory); 2 everything observed, changes pending (see plan); 3 part of the cluster
could not be observed (refused credentials, an unreachable AZ), whatever the rest shows.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ss, err := openSession(cmd.Context(), s, f, "tripod status", true)
			if err != nil {
				return err
			}
			defer ss.Close()
			ss.sink = run.Sinks{}
			r := ss.runner("", true)
			r.KeepObserving = true
			rep, err := r.Run(cmd.Context())
			if err != nil && rep == nil {
				return err
			}
			if f.output == "json" {
				if err := json.NewEncoder(s.Out).Encode(statusJSON(ss, rep)); err != nil {
					return err
				}
			} else {
				printStatus(s.Out, ss, rep)
			}
			return statusExit(rep)
		},
	}
	addRunFlags(cmd, f)
	return cmd
}

// The exit codes of status beyond 0 (all observed, in place) and 1 (could
// not run): a script can tell drift from blindness.
const (
	statusExitPending      = 2
	statusExitUnobservable = 3
)

// statusExit turns what status saw into its exit code. Unobservable steps
// also get one line on stderr naming the first and its cause, so a script
// that only keeps stderr still learns why.
func statusExit(rep *run.Report) error {
	pending, unknown, firstFailed := false, 0, false
	var first statusStep // the first failure, else the first blocked step
	for _, r := range rep.Steps {
		switch st := stepState(r); st.State {
		case "unknown":
			if unknown == 0 || (!firstFailed && r.Status == run.StatusFailed) {
				first, firstFailed = st, r.Status == run.StatusFailed
			}
			unknown++
		case "pending":
			pending = true
		}
	}
	switch {
	case unknown > 0:
		return &exitError{code: statusExitUnobservable, err: fmt.Errorf("%d of %d steps could not be observed; first %s/%s: %s",
			unknown, len(rep.Steps), first.Stage, first.Target, first.Note)}
	case pending:
		return &exitError{code: statusExitPending}
	}
	return nil
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
	if t, ok := stage.TalosSummaryOf(ss.facts); ok {
		out["talos"] = t
	}
	if c, ok := stage.CephSummaryOf(ss.facts); ok {
		out["ceph"] = c
	}
	if x, ok := stage.ExposureOf(ss.facts, ss.env); ok {
		out["exposure"] = x
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
	if t, ok := stage.TalosSummaryOf(ss.facts); ok {
		fmt.Fprintf(w, "  endpoint     %s\n  kubeconfig   %s\n  talosconfig  %s\n", t.Endpoint, t.Kubeconfig, t.Talosconfig)
	}
	if c, ok := stage.CephSummaryOf(ss.facts); ok {
		fmt.Fprintf(w, "  ceph         %s\n", c.Health)
	}
	if x, ok := stage.ExposureOf(ss.facts, ss.env); ok {
		for _, h := range x {
			fmt.Fprintf(w, "  exposure     %s: SSH %s; %s\n", h.Host, h.SSH, h.Public)
		}
	}
}
