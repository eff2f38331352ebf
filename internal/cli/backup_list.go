package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tripod-dev/tripod/internal/drill"
	"github.com/tripod-dev/tripod/internal/state"
	"github.com/tripod-dev/tripod/internal/state/s3state"
)

type backupListFlags struct {
	file, stateDir, from, output string
}

func newBackupListCommand(s Streams) *cobra.Command {
	f := &backupListFlags{}
	cmd := &cobra.Command{
		Use:   "list -i FILE [--from s3://BUCKET/PREFIX]",
		Short: "List the backups, their age, size and whether each is complete",
		Long: `List the backups in the state directory's backups/ (or, with --from, those uploaded to
s3://BUCKET/PREFIX), oldest first: name, age, size, the control plane and etcd revision
the snapshot came from, and whether the backup is complete. A local backup is complete
when its manifest is there and every file it lists matches its size and sha256; an
uploaded one when its manifest is there and every file it lists has its size. Nothing
is locked or changed, so this works while a backup runs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runBackupList(cmd.Context(), s, f) },
	}
	addInventoryFlag(cmd, &f.file)
	addOutputFlag(cmd, &f.output)
	cmd.Flags().StringVar(&f.stateDir, "state-dir", "", "state directory (default .tripod/<cluster>/ beside the inventory)")
	cmd.Flags().StringVar(&f.from, "from", "", "list the backups uploaded to this s3://BUCKET/PREFIX instead")
	return cmd
}

func runBackupList(ctx context.Context, s Streams, f *backupListFlags) error {
	if err := checkOutput(f.output); err != nil {
		return err
	}
	inv, err := loadInventory(f.file)
	if err != nil {
		return reportLoadError(s, err)
	}
	var list []drill.Backup
	where := f.from
	if f.from != "" {
		objs, err := s3state.OpenObjects(ctx, f.from, stateDialer(false))
		if err != nil {
			return fmt.Errorf("--from: %w", err)
		}
		if list, err = drill.ListRemote(ctx, objs); err != nil {
			return err
		}
	} else {
		dir := f.stateDir
		if dir == "" {
			dir = state.DefaultPath(inv.File, inv.Cluster.Name)
		}
		where = filepath.Join(dir, drill.BackupsDir)
		if list, err = drill.List(where); err != nil {
			return err
		}
	}
	if f.output == "json" {
		if list == nil {
			list = []drill.Backup{}
		}
		return json.NewEncoder(s.Out).Encode(map[string]any{"location": where, "backups": list})
	}
	printBackups(s.Out, where, list, time.Now())
	return nil
}

func printBackups(w io.Writer, where string, list []drill.Backup, now time.Time) {
	if len(list) == 0 {
		fmt.Fprintf(w, "No backups in %s.\n", where)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tAGE\tSIZE\tNODE\tREVISION\tCOMPLETE")
	for _, b := range list {
		node, rev, done := "-", "-", "yes"
		if b.Manifest != nil {
			node, rev = b.Manifest.Node, fmt.Sprint(b.Manifest.EtcdRevision)
		}
		if !b.Complete {
			done = "no: " + b.Problem
		}
		age := "-"
		if !b.Created.IsZero() {
			age = now.Sub(b.Created).Round(time.Second).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", b.Name, age, b.Size, node, rev, done)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%d backup(s) in %s\n", len(list), where)
}
