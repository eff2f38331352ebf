package cli

import (
	"github.com/spf13/cobra"

	"github.com/tripod-dev/tripod/internal/stage"
)

// registerCompletions teaches shell completion (cobra's `tripod completion
// bash|zsh|fish`) the values tripod's flags take, on every command that has
// the flag: stage names for --until, output formats, providers, and YAML
// files for the inventory.
func registerCompletions(root *cobra.Command) {
	fixed := map[string][]string{
		"until":    stage.Names(),
		"output":   {"text", "json"},
		"provider": {"dedibox", "elastic-metal"},
		"profile":  {"instant", "realistic"},
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for name, values := range fixed {
			if c.Flags().Lookup(name) != nil {
				vals := values
				_ = c.RegisterFlagCompletionFunc(name, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
					return vals, cobra.ShellCompDirectiveNoFileComp
				})
			}
		}
		if c.Flags().Lookup("inventory") != nil {
			_ = c.MarkFlagFilename("inventory", "yaml", "yml")
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
