package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/tripod-dev/tripod/internal/talos"
)

// clientConfigFlags are the flags of kubeconfig and talosconfig.
type clientConfigFlags struct {
	file     string
	stateDir string
	merge    bool
}

func addClientConfigFlags(cmd *cobra.Command, f *clientConfigFlags, into string) {
	addInventoryFlag(cmd, &f.file)
	cmd.Flags().StringVar(&f.stateDir, "state-dir", "", "state directory (default .tripod/<cluster>/ beside the inventory)")
	cmd.Flags().BoolVar(&f.merge, "merge", false, "merge into "+into+", renaming entries whose names are taken, and print its path")
}

func newKubeconfigCommand(s Streams) *cobra.Command {
	f := &clientConfigFlags{}
	cmd := &cobra.Command{
		Use:   "kubeconfig -i FILE [--merge]",
		Short: "Print the path of the cluster's admin kubeconfig, or merge it into ~/.kube/config",
		Long: `Print the path of the admin kubeconfig tripod up wrote to the state directory (stage
health). With --merge, merge it into the kubeconfig kubectl uses (the first file of
$KUBECONFIG, or ~/.kube/config) as talosctl kubeconfig does: identical entries are left,
a cluster, user or context whose name is taken is renamed name-1, and the cluster's
context becomes the current one. The file is written 0600, atomically. Nothing remote
is contacted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			src, err := clientConfigFile(s, f, talos.KubeconfigFile, "the health stage")
			if err != nil || !f.merge {
				return printPath(s, src, err)
			}
			dst, err := kubeconfigPath()
			if err != nil {
				return err
			}
			return mergeClientConfig(s, src, dst, talos.MergeKubeconfig)
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
