package cli

import (
	"github.com/spf13/cobra"

	"github.com/tripod-dev/tripod/internal/inventory"
)

func newSchemaCommand(s Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the inventory's JSON Schema, for editors",
		Long: `Print the JSON Schema (draft 2020-12) of the tripod.dev/v1alpha1 Cluster inventory.
Point your editor at it (for instance with a "# yaml-language-server: $schema=..." comment)
to complete and check inventories as you type.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := s.Out.Write(inventory.Schema)
			return err
		},
	}
}
