package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/netx"
	"github.com/tripod-dev/tripod/internal/state"
	"github.com/tripod-dev/tripod/internal/state/s3state"
)

func addStateFlag(cmd *cobra.Command, v *string) {
	cmd.Flags().StringVar(v, "state", "", "keep the state in a bucket: s3://BUCKET/PREFIX[?endpoint=URL&region=R&lease=1m] (default the inventory's state:, else the local state directory); keys from the Scaleway profile for Scaleway Object Storage, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY otherwise")
}

// stateURL is where a command's state lives when it is remote: --state,
// else the inventory's state:; empty for the local state directory.
func stateURL(inv *inventory.Loaded, stateDir, flag string) (string, error) {
	u := flag
	if u == "" {
		u = inv.Cluster.State
	}
	if u == "" {
		return "", nil
	}
	if !s3state.IsRemote(u) {
		return "", fmt.Errorf("--state %q is not an s3://BUCKET/PREFIX URL (a local directory is --state-dir)", u)
	}
	if stateDir != "" {
		return "", errors.New("--state-dir and a remote state (--state or the inventory's state:) name two places for one state; keep one")
	}
	return u, nil
}

// stateDialer is how a command reaches the bucket of a remote state: a
// simulated run (--sim, or TRIPOD_SIM naming a simulator) reaches loopback
// only, so a rehearsal whose state names a real endpoint is refused rather
// than sent to it.
func stateDialer(sim bool) *netx.Dialer {
	if sim || os.Getenv("TRIPOD_SIM") != "" {
		return netx.Loopback()
	}
	return netx.Direct()
}

// openState opens and locks the command's state: the bucket's when remote,
// else the local state directory.
func openState(ctx context.Context, inv *inventory.Loaded, sim bool, stateDir, flag string, opts state.Options) (*state.Dir, error) {
	u, err := stateURL(inv, stateDir, flag)
	if err != nil {
		return nil, err
	}
	if u != "" {
		return s3state.Open(ctx, u, stateDialer(sim), opts)
	}
	path := stateDir
	if path == "" {
		path = state.DefaultPath(inv.File, inv.Cluster.Name)
	}
	return state.Open(path, opts)
}

type unlockFlags struct {
	file, state, force string
}

func newUnlockCommand(s Streams) *cobra.Command {
	f := &unlockFlags{}
	cmd := &cobra.Command{
		Use:   "unlock -i FILE --force ID",
		Short: "Remove the lock of a remote state whose holder is gone",
		Long: `Remove the lock object of the cluster's remote state, if its ID is the one given (the
message of a run that found the state locked names it). Only for a holder that is gone and
whose lease cannot be waited for: a run still alive stops writing at its next lease renewal
(within a third of its lease), or sooner at a journal record another run wrote first. A local state
directory needs no unlock: its lock goes with the process that held it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			inv, err := loadInventory(f.file)
			if err != nil {
				return reportLoadError(s, err)
			}
			u, err := stateURL(inv, "", f.state)
			if err != nil {
				return err
			}
			if u == "" {
				return fmt.Errorf("%s keeps its state in a local directory, locked with flock: the lock goes with the process that held it, so there is nothing to unlock", inv.File)
			}
			if f.force == "" {
				return errors.New("--force ID is required: the ID of the lock to remove, as the locked run's message names it")
			}
			return s3state.ForceUnlock(cmd.Context(), u, stateDialer(false), f.force, func(msg string) { fmt.Fprintln(s.Err, msg) })
		},
	}
	addInventoryFlag(cmd, &f.file)
	addStateFlag(cmd, &f.state)
	cmd.Flags().StringVar(&f.force, "force", "", "the ID of the lock to remove")
	return cmd
}

// readRemoteClientConfig reads rel from a remote state, lock-free: it is
// always sealed there, so it is handed out with --out or --merge only.
func readRemoteClientConfig(u, rel, file, writer string) (*clientConfig, error) {
	data, where, err := s3state.ReadSecretFile(context.Background(), u, stateDialer(false), rel)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no %s at %s yet: tripod up -i %s writes it (%s)", rel, where, file, writer)
	}
	if err != nil {
		return nil, err
	}
	return &clientConfig{path: where, data: data, sealed: true}, nil
}
