package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/tripod-dev/tripod/internal/state"
	"github.com/tripod-dev/tripod/internal/talos"
)

// clientConfigFlags are the flags of kubeconfig and talosconfig.
type clientConfigFlags struct {
	file     string
	stateDir string
	state    string // a remote state's s3:// URL
	merge    bool
	out      string
}

func addClientConfigFlags(cmd *cobra.Command, f *clientConfigFlags, into string) {
	addInventoryFlag(cmd, &f.file)
	cmd.Flags().StringVar(&f.stateDir, "state-dir", "", "state directory (default .tripod/<cluster>/ beside the inventory)")
	addStateFlag(cmd, &f.state)
	cmd.Flags().BoolVar(&f.merge, "merge", false, "merge into "+into+", renaming entries whose names are taken, and print its path")
	cmd.Flags().StringVar(&f.out, "out", "", "write it in clear to this file (0600), or to stdout with -: the way to get it out of a store sealed with age")
}

// runClientConfig hands out the client config rel: its path, or with --out
// its content (opened if sealed), or merged into the file into names.
func runClientConfig(s Streams, f *clientConfigFlags, rel, writer string, into func() (string, error), merge func(dst, src []byte) ([]byte, []string, error)) error {
	if f.merge && f.out != "" {
		return fmt.Errorf("--merge and --out are exclusive: pick one")
	}
	cc, err := readClientConfig(s, f, rel, writer)
	if err != nil {
		return err
	}
	switch {
	case f.out == "-":
		_, err := s.Out.Write(cc.data)
		return err
	case f.out != "":
		if err := state.WriteFileAtomic(f.out, cc.data, 0o600); err != nil {
			return err
		}
		return printPath(s, f.out, nil)
	case f.merge:
		dst, err := into()
		if err != nil {
			return err
		}
		return mergeClientConfig(s, cc.data, dst, merge)
	case cc.sealed:
		return fmt.Errorf("%s is sealed with age: pass --out FILE to write it in clear, --out - to print it, or --merge", cc.path)
	}
	return printPath(s, cc.path, nil)
}

func newKubeconfigCommand(s Streams) *cobra.Command {
	f := &clientConfigFlags{}
	cmd := &cobra.Command{
		Use:   "kubeconfig -i FILE [--merge | --out FILE]",
		Short: "Print the path of the cluster's admin kubeconfig, or merge it into ~/.kube/config",
		Long: `Print the path of the admin kubeconfig tripod up wrote to the state directory (stage
health). With --merge, merge it into the kubeconfig kubectl uses (the first file of
$KUBECONFIG, or ~/.kube/config) as talosctl kubeconfig does: identical entries are left,
a cluster, user or context whose name is taken is renamed name-1, and the cluster's
context becomes the current one. With --out FILE, write it there (--out - prints it).
Files are written 0600, atomically. When the state directory is sealed with age
(--encrypt-secrets), it holds kubeconfig.age: --merge and --out open it with the identity
in ` + state.EnvAgeIdentity + ` or ` + state.EnvAgeIdentityFile + `. Nothing remote is contacted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runClientConfig(s, f, talos.KubeconfigFile, "the health stage", kubeconfigPath, talos.MergeKubeconfig)
		},
	}
	addClientConfigFlags(cmd, f, "$KUBECONFIG or ~/.kube/config")
	return cmd
}

// kubeconfigPath is where kubectl reads and writes by default: the first
// file of $KUBECONFIG, else ~/.kube/config.
func kubeconfigPath() (string, error) {
	for _, p := range filepath.SplitList(os.Getenv("KUBECONFIG")) {
		if p != "" {
			return p, nil
		}
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot find the home directory for ~/.kube/config (set KUBECONFIG): %w", err)
	}
	return filepath.Join(home, ".kube", "config"), nil
}

func printPath(s Streams, path string, err error) error {
	if err != nil {
		return err
	}
	fmt.Fprintln(s.Out, path)
	return nil
}
