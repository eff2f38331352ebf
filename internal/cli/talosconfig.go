package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	clientconfig "github.com/siderolabs/talos/pkg/machinery/client/config"
	"github.com/spf13/cobra"

	"github.com/tripod-dev/tripod/internal/state"
	"github.com/tripod-dev/tripod/internal/talos"
)

func newTalosconfigCommand(s Streams) *cobra.Command {
	f := &clientConfigFlags{}
	cmd := &cobra.Command{
		Use:   "talosconfig -i FILE [--merge]",
		Short: "Print the path of the cluster's talosconfig, or merge it into ~/.talos/config",
		Long: `Print the path of the talosconfig tripod up wrote to the state directory (stage
machineconfig), with every control plane as an endpoint. With --merge, merge it into the
config talosctl uses ($TALOSCONFIG, or ~/.talos/config) as talosctl config merge does: a
context whose name is taken by a different one is renamed name-1, and the cluster's
context becomes the current one. The file is written 0600, atomically. Nothing remote is
contacted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			src, err := clientConfigFile(s, f, talos.TalosconfigFile, "the machineconfig stage")
			if err != nil || !f.merge {
				return printPath(s, src, err)
			}
			dst, err := talosconfigPath()
			if err != nil {
				return err
			}
			return mergeClientConfig(s, src, dst, talos.MergeTalosconfig)
		},
	}
	addClientConfigFlags(cmd, f, "$TALOSCONFIG or ~/.talos/config")
	return cmd
}

// talosconfigPath is where talosctl reads and writes by default:
// $TALOSCONFIG, else config in $TALOS_HOME or ~/.talos.
func talosconfigPath() (string, error) {
	if p := os.Getenv("TALOSCONFIG"); p != "" {
		return p, nil
	}
	dir, err := clientconfig.GetTalosDirectory()
	if err != nil {
		return "", fmt.Errorf("cannot find the home directory for ~/.talos/config (set TALOSCONFIG): %w", err)
	}
	return filepath.Join(dir, "config"), nil
}

// clientConfigFile is the absolute path of rel in the inventory's state
// directory, which must exist and be private: it holds client keys, so a
// mode open to others is tightened (with a warning) first. The state
// directory is read, not locked, so this works while up runs.
func clientConfigFile(s Streams, f *clientConfigFlags, rel, writer string) (string, error) {
	inv, err := loadInventory(f.file)
	if err != nil {
		return "", reportLoadError(s, err)
	}
	dir := f.stateDir
	if dir == "" {
		dir = state.DefaultPath(inv.File, inv.Cluster.Name)
	}
	path, err := filepath.Abs(filepath.Join(dir, rel))
	if err != nil {
		return "", err
	}
	changes, err := state.TightenModes(dir)
	warnTightened(s, changes)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("no %s at %s yet: tripod up -i %s writes it (%s)", rel, path, f.file, writer)
	} else if err != nil {
		return "", err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%s is accessible to other users (mode %v); run chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	return path, nil
}

// mergeClientConfig merges src into dst (which may not exist yet) and
// writes dst 0600, atomically, through a symlink to the file it names.
func mergeClientConfig(s Streams, src, dst string, merge func(dst, src []byte) ([]byte, []string, error)) error {
	if real, err := filepath.EvalSymlinks(dst); err == nil {
		dst = real
	}
	in, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	old, err := os.ReadFile(dst)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	out, renames, err := merge(old, in)
	if err != nil {
		return fmt.Errorf("failed to merge into %s: %w", dst, err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	if err := state.WriteFileAtomic(dst, out, 0o600); err != nil {
		return err
	}
	for _, r := range renames {
		fmt.Fprintf(s.Err, "renamed %s\n", r)
	}
	fmt.Fprintln(s.Out, dst)
	return nil
}
