package cli

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tripod-dev/tripod/internal/inventory"
)

type validateFlags struct {
	file     string
	output   string
	stateDir string
}

func newValidateCommand(s Streams) *cobra.Command {
	f := &validateFlags{}
	cmd := &cobra.Command{
		Use:   "validate -i FILE",
		Short: "Check an inventory: every problem at once, with file, line and YAML path",
		Long: `Load the inventory strictly, apply defaults and validate it, then render every node's
Talos machine config and validate it as the node will (with the state directory's secrets
bundle if it has one, else a throwaway one kept in memory). Every error is printed on
stderr as FILE:LINE:COL: PATH: MESSAGE and the exit code is 1; warnings are printed but
do not fail. When the state directory records a built cluster, the edits it cannot take in
place (its address plan, VLAN, control planes, Proxmox cluster name, pools' failure domains)
are errors too. Nothing remote is contacted and nothing is written.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(f.output); err != nil {
				return err
			}
			l, err := loadInventory(f.file)
			configs := 0
			if err == nil {
				var notes []string
				var probs []inventory.Problem
				if configs, notes, probs, err = checkConfigs(l, f.stateDir); err != nil {
					return err
				}
				for _, n := range notes {
					fmt.Fprintf(s.Err, "note: %s\n", n)
				}
				built, berr := builtProblems(l, f.stateDir)
				if berr != nil {
					return berr
				}
				probs = append(probs, built...)
				if len(probs) > 0 {
					err = inventory.Problems(probs)
				}
			}
			if f.output == "json" {
				return validateJSON(s, l, err)
			}
			if err != nil {
				return reportLoadError(s, err)
			}
			printWarnings(s, l.Warnings)
			fmt.Fprintf(s.Out, "%s is valid: %d hosts, %d control planes, %d workers; %d machine configs validate\n",
				f.file, len(l.Layout.Hosts), len(l.Layout.ControlPlanes()), len(l.Layout.Workers()), configs)
			return nil
		},
	}
	addInventoryFlag(cmd, &f.file)
	addOutputFlag(cmd, &f.output)
	cmd.Flags().StringVar(&f.stateDir, "state-dir", "", "state directory to check against: its secrets bundle for the machine configs, its record of the built cluster for edits it cannot take (default .tripod/<cluster>/ beside the inventory)")
	return cmd
}

func addInventoryFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVarP(p, "inventory", "i", "", "inventory file (required)")
	cmd.MarkFlagRequired("inventory")
}

func loadInventory(file string) (*inventory.Loaded, error) {
	if file == "" {
		return nil, errors.New("no inventory: pass -i FILE")
	}
	return inventory.Load(file)
}

// reportLoadError prints every inventory problem on its own line and returns
// an error Main does not print again.
func reportLoadError(s Streams, err error) error {
	var probs inventory.Problems
	if !errors.As(err, &probs) {
		return err
	}
	for _, p := range probs {
		fmt.Fprintln(s.Err, p)
	}
	return &silentError{err: err}
}

func printWarnings(s Streams, ws []inventory.Problem) {
	for _, w := range ws {
		fmt.Fprintf(s.Err, "warning: %s\n", w)
	}
}

func validateJSON(s Streams, l *inventory.Loaded, err error) error {
	out := struct {
		Valid    bool                `json:"valid"`
		Errors   []inventory.Problem `json:"errors"`
		Warnings []inventory.Problem `json:"warnings"`
	}{Errors: []inventory.Problem{}, Warnings: []inventory.Problem{}}
	var probs inventory.Problems
	switch {
	case err == nil:
		out.Valid, out.Warnings = true, append(out.Warnings, l.Warnings...)
	case errors.As(err, &probs):
		out.Errors = probs
	default:
		return err
	}
	if e := json.NewEncoder(s.Out).Encode(out); e != nil {
		return e
	}
	if err != nil {
		return &silentError{err: err}
	}
	return nil
}
