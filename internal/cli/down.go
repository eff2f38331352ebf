package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/stage"
)

type downFlags struct {
	runFlags
	confirm        string
	releaseServers bool
	releaseAdopted bool
	dryRun         bool
}

func newDownCommand(s Streams) *cobra.Command {
	f := &downFlags{}
	cmd := &cobra.Command{
		Use:   "down -i FILE --confirm NAME",
		Short: "Destroy the cluster's VMs; with --release-servers, terminate the servers it ordered",
		Long: `Delete what carries this cluster's ownership tag, and nothing else. VMs go; servers are
terminated only with --release-servers, and adopted servers only with --release-adopted too.
--confirm must repeat the cluster's name. --dry-run lists what would go, deletes nothing, and
so needs no --confirm.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ss, err := openSession(cmd.Context(), s, &f.runFlags, "tripod down", true)
			if err != nil {
				return err
			}
			defer ss.Close()
			switch {
			case f.confirm == "" && !f.dryRun:
				return fmt.Errorf("down deletes the cluster's VMs: pass --confirm %s to destroy cluster %q of %s, or --dry-run to list what would go", ss.inv.Cluster.Name, ss.inv.Cluster.Name, ss.inv.File)
			case f.confirm != "" && f.confirm != ss.inv.Cluster.Name:
				return fmt.Errorf("--confirm %q does not match the cluster name %q in %s; repeat the name to destroy it", f.confirm, ss.inv.Cluster.Name, ss.inv.File)
			}
			if f.releaseAdopted && !f.releaseServers {
				return fmt.Errorf("--release-adopted only makes sense with --release-servers")
			}
			opts := stage.DownOptions{ReleaseServers: f.releaseServers, ReleaseAdopted: f.releaseAdopted}
			r := &run.Runner{
				Stages: stage.DownList(ss.env, opts),
				DryRun: f.dryRun, Sink: ss.sink, Pools: stage.Pools, Facts: ss.facts, Crash: ss.crash,
			}
			if f.dryRun {
				r.Sink = run.Sinks{}
			}
			rep, err := r.Run(cmd.Context())
			if err == nil && !f.dryRun {
				err = ss.env.ForgetBuilt(opts) // what is gone may be built afresh
			}
			if rep != nil && f.output != "json" {
				printDown(ss.out, rep, f.dryRun)
			}
			if err == nil && f.output == "json" {
				return json.NewEncoder(s.Out).Encode(planJSON(rep))
			}
			return err
		},
	}
	addRunFlags(cmd, &f.runFlags)
	cmd.Flags().StringVar(&f.confirm, "confirm", "", "the cluster's name, repeated (required unless --dry-run)")
	cmd.Flags().BoolVar(&f.releaseServers, "release-servers", false, "also terminate the servers this cluster ordered")
	cmd.Flags().BoolVar(&f.releaseAdopted, "release-adopted", false, "with --release-servers, also terminate adopted servers")
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, "list what would be deleted, delete nothing")
	return cmd
}

// printDown lists what down deleted or, in a dry run, would delete.
func printDown(w io.Writer, rep *run.Report, dryRun bool) {
	verb, n := "deleted", 0
	if dryRun {
		verb = "would delete"
	}
	for _, r := range rep.Steps {
		for _, m := range r.Mutations {
			fmt.Fprintf(w, "- %s: %s %s\n", verb, m.Verb, m.Object)
			n++
		}
	}
	if n == 0 {
		fmt.Fprintln(w, "Nothing to delete: nothing carries this cluster's tags.")
	}
}
