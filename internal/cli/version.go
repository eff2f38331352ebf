package cli

import (
	"encoding/json"
	"fmt"
	"runtime"

	"github.com/siderolabs/talos/pkg/machinery/constants"
	"github.com/spf13/cobra"

	"github.com/tripod-dev/tripod/internal/inventory"
)

type versionFlags struct{ output string }

func newVersionCommand(s Streams) *cobra.Command {
	f := &versionFlags{}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print tripod's version and the versions it deploys by default",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b := currentBuild()
			v := map[string]string{
				"tripod":              b.Version,
				"commit":              b.Commit,
				"buildDate":           b.Date,
				"go":                  runtime.Version(),
				"talos":               inventory.DefaultTalosVersion,
				"kubernetes":          constants.DefaultKubernetesVersion,
				"inventoryAPIVersion": inventory.APIVersion,
			}
			if f.output == "json" {
				return json.NewEncoder(s.Out).Encode(v)
			}
			fmt.Fprintf(s.Out, "tripod %s, %s\ninventory %s; deploys Talos %s with Kubernetes %s by default\n",
				b, v["go"], v["inventoryAPIVersion"], v["talos"], v["kubernetes"])
			return nil
		},
	}
	addOutputFlag(cmd, &f.output)
	return cmd
}

func addOutputFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVarP(p, "output", "o", "text", "output format: text or json")
}

func checkOutput(o string) error {
	if o != "text" && o != "json" {
		return fmt.Errorf("--output %q: want text or json", o)
	}
	return nil
}
