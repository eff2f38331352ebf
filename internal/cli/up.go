package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tripod-dev/tripod/internal/run"
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			ss, err := openSession(cmd.Context(), s, &f.runFlags, "tripod up", false)
			if err != nil {
				return err
			}
			defer ss.Close()
			start := time.Now()
			rep, err := ss.runner(f.until, false).Run(cmd.Context())
			if rep != nil && f.output != "json" {
				printSummary(ss.out, ss, rep, time.Since(start))
			}
			return err
		},
	}
	addRunFlags(cmd, &f.runFlags)
	cmd.Flags().StringVar(&f.until, "until", "", "stop after this stage: "+strings.Join(stage.Names(), ", "))
	return cmd
}

func printSummary(w io.Writer, ss *session, rep *run.Report, took time.Duration) {
	c := ss.inv.Cluster
	fmt.Fprintf(w, "\ncluster %s: %d hosts, %d control planes, %d workers across %d AZs (%s)\n",
		c.Name, len(ss.inv.Layout.Hosts), len(ss.inv.Layout.ControlPlanes()), len(ss.inv.Layout.Workers()), len(c.AZs), took.Round(time.Millisecond))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tSTEPS\tCHANGED\tFAILED\tTOOK")
	for _, st := range rep.Stages {
		changed, failed := 0, 0
		for _, r := range rep.Steps {
			if r.Key.Stage != st.Name {
				continue
			}
			switch r.Status {
			case run.StatusChanged:
				changed++
			case run.StatusFailed, run.StatusBlocked, run.StatusCanceled:
				failed++
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\n", st.Name, st.Steps, changed, failed, st.Duration.Round(time.Millisecond))
	}
	tw.Flush()
	if r := ss.env.Retries.String(); r != "" {
		fmt.Fprintf(w, "retries: %s\n", r)
	}
}
