package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/tripod-dev/tripod/internal/inventory"
)

type offersFlags struct {
	file   string
	output string
}

func newOffersCommand(s Streams) *cobra.Command {
	f := &offersFlags{}
	cmd := &cobra.Command{
		Use:   "offers [-i FILE]",
		Short: "List the offer capacities tripod plans with (with an inventory's overrides)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := checkOutput(f.output); err != nil {
				return err
			}
			var overrides []inventory.OfferSpec
			if f.file != "" {
				l, err := loadInventory(f.file)
				if err != nil {
					return reportLoadError(s, err)
				}
				overrides = l.Cluster.Offers
			}
			t := inventory.Offers(overrides)
			var rows []inventory.Offer
			for _, p := range []inventory.Provider{inventory.Dedibox, inventory.ElasticMetal} {
				for _, n := range t.Names(p) {
					rows = append(rows, t[n])
				}
			}
			if f.output == "json" {
				return json.NewEncoder(s.Out).Encode(rows)
			}
			w := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "OFFER\tPROVIDER\tCPU\tTHREADS\tMEMORY\tDISKS\tPRIVATE")
			for _, o := range rows {
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%d\t%g Gbps\n", o.Name, o.Provider, o.CPU, o.Threads, o.Memory, len(o.Disks), o.PrivateBandwidthGbps)
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVarP(&f.file, "inventory", "i", "", "inventory whose offers overrides to include")
	addOutputFlag(cmd, &f.output)
	return cmd
}
