package cli

import (
	"errors"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tripod-dev/tripod/internal/stage"
)

type upFlags struct {
	runFlags
	until string
}

func newUpCommand(s Streams) *cobra.Command {
	f := &upFlags{}
	cmd := &cobra.Command{
		Use:   "up -i FILE [--until STAGE]",
		Short: "Bring the cluster to the inventory's state (idempotent, resumable)",
		Long: `Run the stages in order (` + strings.Join(stage.Names(), ", ") + `).
Each stage observes what exists and changes only the difference, so running up again makes
no change, and a run that was interrupted resumes where it stopped. --until stops after the
named stage.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			ss, err := openSession(cmd.Context(), s, &f.runFlags, "tripod up", false)
			if err != nil {
				return err
			}
			defer ss.Close()
			live := ss.liveView(s.Out, f.until) // nil off a terminal: plain lines
			defer live.stop()
			ss.startRun()
			outcome, sum := "error", any(nil)
			// run-end is the stream's last line, whatever path returns.
			defer func() { ss.endRun(outcome, sum, err) }()
			if err := ss.refuseBuiltChanges(s); err != nil {
				return err
			}
			rec, err := ss.recordBuilt()
			if err != nil {
				return err
			}
			start := time.Now()
			rep, err := ss.runner(f.until, false).Run(cmd.Context())
			live.stop() // the final view stays above the summary
			if rerr := rec.Err(); rerr != nil {
				err = errors.Join(err, rerr)
			}
			if rep != nil {
				rs := summaryJSON(ss, rep, f.until, time.Since(start))
				outcome, sum = rs.outcome(), rs
				ss.writeReport(rep, outcome, time.Since(start))
				if f.output != "json" {
					printSummary(ss.out, ss, rep, f.until, time.Since(start))
				}
			}
			return err
		},
	}
	addRunFlags(cmd, &f.runFlags)
	cmd.Flags().StringVar(&f.until, "until", "", "stop after this stage: "+strings.Join(stage.Names(), ", "))
	return cmd
}
