package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/state"
	"github.com/tripod-dev/tripod/internal/state/s3state"
	"github.com/tripod-dev/tripod/internal/talos"
)

type stateMoveFlags struct {
	file, state, stateDir, to, encryptTo string
}

// newStateCommand is `tripod state pull|push|migrate`: moving a state
// between a local directory and a bucket under the locks of both.
func newStateCommand(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "state",
		Short: "Move a cluster's state between a local directory and a bucket",
	}
	pull := &stateMoveFlags{}
	pullCmd := &cobra.Command{
		Use:   "pull -i FILE --to DIR",
		Short: "Copy the remote state into a new local directory (a snapshot, secrets still sealed)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, u, err := moveTarget(s, pull)
			if err != nil {
				return err
			}
			if pull.to == "" {
				return errors.New("--to DIR is required: the new directory to copy the state into")
			}
			if err := s3state.Pull(cmd.Context(), u, stateDialer(false), pull.to, "tripod state pull"); err != nil {
				return err
			}
			fmt.Fprintf(s.Out, "copied the state of %s into %s; the bucket stays the state\n", redactURL(u), pull.to)
			return nil
		},
	}
	push := &stateMoveFlags{}
	pushCmd := &cobra.Command{
		Use:   "push -i FILE --state s3://...",
		Short: "Copy the local state directory into an empty bucket prefix, sealing its secrets",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPush(cmd, s, push, false)
		},
	}
	migrate := &stateMoveFlags{}
	migrateCmd := &cobra.Command{
		Use:   "migrate -i FILE --state s3://...",
		Short: "Push the local state directory, then rename it to DIR.migrated so only the bucket is used",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPush(cmd, s, migrate, true)
		},
	}
	for _, c := range []struct {
		cmd *cobra.Command
		f   *stateMoveFlags
	}{{pullCmd, pull}, {pushCmd, push}, {migrateCmd, migrate}} {
		addInventoryFlag(c.cmd, &c.f.file)
		addStateFlag(c.cmd, &c.f.state)
		cmd.AddCommand(c.cmd)
	}
	pullCmd.Flags().StringVar(&pull.to, "to", "", "the new directory to copy the state into")
	for _, c := range []struct {
		cmd *cobra.Command
		f   *stateMoveFlags
	}{{pushCmd, push}, {migrateCmd, migrate}} {
		c.cmd.Flags().StringVar(&c.f.stateDir, "state-dir", "", "the local state directory (default .tripod/<cluster>/ beside the inventory)")
		c.cmd.Flags().StringVar(&c.f.encryptTo, "encrypt-secrets", "", "age recipients to seal the secrets to (default: the recipients the store records, else the recipient of "+state.EnvAgeIdentityFile+" or "+state.EnvAgeIdentity+")")
	}
	return cmd
}

// moveTarget loads the inventory and names the bucket (--state, else the
// inventory's state:).
func moveTarget(s Streams, f *stateMoveFlags) (*inventory.Loaded, string, error) {
	inv, err := loadInventory(f.file)
	if err != nil {
		return nil, "", reportLoadError(s, err)
	}
	u, err := stateURL(inv, "", f.state)
	if err != nil {
		return nil, "", err
	}
	if u == "" {
		return nil, "", errors.New("name the bucket with --state s3://BUCKET/PREFIX (or the inventory's state:)")
	}
	return inv, u, nil
}

func runPush(cmd *cobra.Command, s Streams, f *stateMoveFlags, retire bool) error {
	inv, u, err := moveTarget(s, f)
	if err != nil {
		return err
	}
	from := f.stateDir
	if from == "" {
		from = state.DefaultPath(inv.File, inv.Cluster.Name)
	}
	opts := state.Options{Command: "tripod state " + cmd.Name(), EncryptTo: f.encryptTo, SecretFiles: talos.SecretFiles}
	if !retire {
		if err := s3state.Push(cmd.Context(), u, stateDialer(false), from, opts); err != nil {
			return err
		}
		fmt.Fprintf(s.Out, "copied %s into %s; use --state (or the inventory's state:) from now on, and keep only one of them\n", from, redactURL(u))
		return nil
	}
	moved, err := s3state.Migrate(cmd.Context(), u, stateDialer(false), from, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "moved the state into %s; the local directory is now %s (keep it as a backup, or remove it)\n", redactURL(u), moved)
	return nil
}

// redactURL is the state URL as messages name it (no query).
func redactURL(u string) string {
	l, err := s3state.ParseLocation(u)
	if err != nil {
		return u
	}
	return l.String()
}
