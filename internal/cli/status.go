package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newStatusCommand(s Streams) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "status -i FILE",
		Short: "Show the cluster's planned layout and what the state directory knows",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ss, err := openSession(cmd.Context(), s, f, "tripod status", true)
			if err != nil {
				return err
			}
			defer ss.Close()
			l := ss.inv.Layout
			if f.output == "json" {
				return json.NewEncoder(s.Out).Encode(map[string]any{
					"cluster": ss.inv.Cluster.Name, "hosts": l.Hosts, "vms": l.VMs,
					"journal_records": len(ss.dir.Journal.Records()),
				})
			}
			tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "HOST\tAZ\tOFFER\tPLACEMENT\tPRIVATE ADDRESS")
			for _, h := range l.Hosts {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", h.Name, h.AZ, h.Offer.Name, h.Placement, h.PrivateAddress)
			}
			fmt.Fprintln(tw, "\nVM\tTYPE\tAZ\tHOST\tVMID\tADDRESS")
			for _, vm := range l.VMs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", vm.Name, vm.Type, vm.AZ, vm.Host, vm.VMID, vm.Address)
			}
			tw.Flush()
			fmt.Fprintf(s.Out, "\nstate directory %s: %d journal records\n", ss.dir.Path, len(ss.dir.Journal.Records()))
			return nil
		},
	}
	addRunFlags(cmd, f)
	return cmd
}
