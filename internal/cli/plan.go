package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/stage"
)

type planFlags struct {
	runFlags
	until            string
	detailedExitCode bool
}

func newPlanCommand(s Streams) *cobra.Command {
	f := &planFlags{}
	cmd := &cobra.Command{
		Use:   "plan -i FILE",
		Short: "List exactly the changes up would make, without making them",
		Long: `Observe every remote system as up would and list, per target, the changes up would
send. Nothing is changed. With --detailed-exitcode the exit code says what it found, as
Terraform's plan does: 0 nothing to do, 2 changes pending, 1 error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ss, err := openSession(cmd.Context(), s, &f.runFlags, "tripod plan", false)
			if err != nil {
				return err
			}
			defer ss.Close()
			if err := ss.refuseBuiltChanges(s); err != nil {
				return err
			}
			ss.sink = run.Sinks{} // the plan is printed as a whole below
			rep, err := ss.runner(f.until, true).Run(cmd.Context())
			if err != nil {
				return err
			}
			muts := rep.Mutations()
			if f.output == "json" {
				if e := json.NewEncoder(s.Out).Encode(planJSON(rep)); e != nil {
					return e
				}
			} else {
				printPlan(s.Out, rep)
			}
			if f.detailedExitCode && len(muts) > 0 {
				return &exitError{code: 2}
			}
			return nil
		},
	}
	addRunFlags(cmd, &f.runFlags)
	cmd.Flags().StringVar(&f.until, "until", "", "plan only up to this stage: "+strings.Join(stage.Names(), ", "))
	cmd.Flags().BoolVar(&f.detailedExitCode, "detailed-exitcode", false, "exit 2 when changes are pending, 0 when there are none")
	return cmd
}

type plannedStep struct {
	Stage     string         `json:"stage"`
	Target    string         `json:"target"`
	Mutations []run.Mutation `json:"mutations"`
}

func planJSON(rep *run.Report) []plannedStep {
	out := []plannedStep{}
	for _, r := range rep.Steps {
		if len(r.Mutations) > 0 {
			out = append(out, plannedStep{Stage: r.Key.Stage, Target: r.Key.Target, Mutations: r.Mutations})
		}
	}
	return out
}

func printPlan(w io.Writer, rep *run.Report) {
	n := 0
	for _, r := range rep.Steps {
		for _, m := range r.Mutations {
			fmt.Fprintf(w, "+ %s/%s: %s\n", r.Key.Stage, r.Key.Target, m)
			n++
		}
	}
	if n == 0 {
		fmt.Fprintln(w, "No changes: the cluster matches the inventory.")
		return
	}
	fmt.Fprintf(w, "\n%d changes pending.\n", n)
}
