package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	clientconfig "github.com/siderolabs/talos/pkg/machinery/client/config"
	"github.com/spf13/cobra"

	"github.com/tripod-dev/tripod/internal/state"
	"github.com/tripod-dev/tripod/internal/talos"
)

func newTalosconfigCommand(s Streams) *cobra.Command {
	f := &clientConfigFlags{}
	cmd := &cobra.Command{
		Use:   "talosconfig -i FILE [--merge | --out FILE]",
		Short: "Print the path of the cluster's talosconfig, or merge it into ~/.talos/config",
		Long: `Print the path of the talosconfig tripod up wrote to the state directory (stage
machineconfig), with every control plane as an endpoint. With --merge, merge it into the
config talosctl uses ($TALOSCONFIG, or ~/.talos/config) as talosctl config merge does: a
context whose name is taken by a different one is renamed name-1, and the cluster's
context becomes the current one. With --out FILE, write it there (--out - prints it).
Files are written 0600, atomically. When the state directory is sealed with age
(--encrypt-secrets), it holds talosconfig.age: --merge and --out open it with the identity
in ` + state.EnvAgeIdentity + ` or ` + state.EnvAgeIdentityFile + `. Nothing remote is contacted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runClientConfig(s, f, talos.TalosconfigFile, "the machineconfig stage", talosconfigPath, talos.MergeTalosconfig)
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

// clientConfig is a client config read from the state directory.
type clientConfig struct {
	path   string // absolute path of the file it was read from
	data   []byte // its content, opened if sealed
	sealed bool
}

// readClientConfig reads rel from the inventory's state directory: it must
// exist and be private (it holds client keys, so a mode open to others is
// tightened, with a warning, first), and opens only with the store's
// identity when sealed. The state directory is read, not locked, so
// this works while up runs.
func readClientConfig(s Streams, f *clientConfigFlags, rel, writer string) (*clientConfig, error) {
	inv, err := loadInventory(f.file)
	if err != nil {
		return nil, reportLoadError(s, err)
	}
	if u, err := stateURL(inv, f.stateDir, f.state); err != nil || u != "" {
		if err != nil {
			return nil, err
		}
		return readRemoteClientConfig(u, rel, f.file, writer)
	}
	dir := f.stateDir
	if dir == "" {
		dir = state.DefaultPath(inv.File, inv.Cluster.Name)
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}
	changes, err := state.TightenModes(dir)
	warnTightened(s, changes)
	if err != nil {
		return nil, err
	}
	data, path, err := state.ReadSecretFile(dir, rel)
	if errors.Is(err, fs.ErrNotExist) && path != "" {
		return nil, fmt.Errorf("no %s at %s yet: tripod up -i %s writes it (%s)", rel, path, f.file, writer)
	}
	if err != nil {
		return nil, err
	}
	return &clientConfig{path: path, data: data, sealed: strings.HasSuffix(path, state.SealedSuffix)}, nil
}

// mergeClientConfig merges in into dst (which may not exist yet) and
// writes dst 0600, atomically, through a symlink to the file it names.
func mergeClientConfig(s Streams, in []byte, dst string, merge func(dst, src []byte) ([]byte, []string, error)) error {
	if real, err := filepath.EvalSymlinks(dst); err == nil {
		dst = real
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
