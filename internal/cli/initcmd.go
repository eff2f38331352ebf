package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/state"
)

// initFlags are what a starter inventory is made from.
type initFlags struct {
	name        string
	provider    string
	places      []string // Dedibox datacenters or Elastic Metal zones, one per AZ
	offer       string
	hostsPerAZ  int
	workers     int
	subnet      string
	vlan        int
	out         string
	force       bool
	interactive bool
}

// The starter's defaults per provider: the lab shape of the shipped examples.
var initDefaults = map[string]struct {
	places []string
	offer  string
	subnet string
	vlan   int
}{
	string(inventory.Dedibox):      {[]string{"DC2", "DC3", "DC5"}, "START-9-M", "10.20.0.0/24", 120},
	string(inventory.ElasticMetal): {[]string{"fr-par-1", "fr-par-2", "nl-ams-1"}, "EM-I215E-NVME", "172.20.0.0/24", 200},
}

func newInitCommand(s Streams) *cobra.Command {
	f := &initFlags{}
	cmd := &cobra.Command{
		Use:   "init [--name NAME] [flags]",
		Short: "Write a commented starter inventory that validates as written",
		Long: `Write a starter inventory: three AZs, each with its hosts, a Ceph monitor and OSD, one
control plane and its workers, and the private network. On a terminal, init asks for
what the flags did not say; elsewhere it takes the defaults. The file is checked with
the same validation as 'tripod validate' before it is written, and an existing file is
never overwritten without --force. --out - prints it instead.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.interactive || (!cmd.Flags().Changed("name") && isTerminalReader(s.In) && isTerminal(s.Out)) {
				if err := promptInit(s, f, cmd); err != nil {
					return err
				}
			}
			return runInit(s, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.name, "name", "lab", "cluster name (a DNS label)")
	fl.StringVar(&f.provider, "provider", string(inventory.Dedibox), "dedibox or elastic-metal")
	fl.StringSliceVar(&f.places, "at", nil, "the three Dedibox datacenters or Elastic Metal zones, one per AZ (default per provider)")
	fl.StringVar(&f.offer, "offer", "", "the hosts' offer (default per provider; see 'tripod offers')")
	fl.IntVar(&f.hostsPerAZ, "hosts-per-az", 1, "hosts in each AZ")
	fl.IntVar(&f.workers, "workers-per-az", 1, "worker VMs in each AZ")
	fl.StringVar(&f.subnet, "subnet", "", "the private network's subnet (default per provider)")
	fl.IntVar(&f.vlan, "vlan", 0, "the private network's VLAN (default per provider)")
	fl.StringVarP(&f.out, "out", "o", "", "file to write (default NAME.yaml; - for standard output)")
	fl.BoolVar(&f.force, "force", false, "overwrite an existing file")
	fl.BoolVar(&f.interactive, "interactive", false, "ask for every setting, even off a terminal")
	return cmd
}

func runInit(s Streams, f *initFlags) error {
	d, ok := initDefaults[f.provider]
	if !ok {
		return fmt.Errorf("--provider %q: want dedibox or elastic-metal", f.provider)
	}
	if len(f.places) == 0 {
		f.places = d.places
	}
	if f.offer == "" {
		f.offer = d.offer
	}
	if f.subnet == "" {
		f.subnet = d.subnet
	}
	if f.vlan == 0 {
		f.vlan = d.vlan
	}
	if len(f.places) != 3 {
		return fmt.Errorf("--at names %d places; tripod spreads a cluster over exactly three AZs", len(f.places))
	}
	if f.hostsPerAZ < 1 || f.workers < 0 {
		return errors.New("--hosts-per-az must be at least 1 and --workers-per-az at least 0")
	}
	text := renderStarter(f)
	out := f.out
	if out == "" {
		out = f.name + ".yaml"
	}
	// The same validation as 'tripod validate', with the file's own name in
	// every message.
	if _, err := inventory.LoadBytes(out, []byte(text), "."); err != nil {
		var probs inventory.Problems
		if !errors.As(err, &probs) {
			return err
		}
		for _, p := range probs {
			fmt.Fprintln(s.Err, p)
		}
		return fmt.Errorf("these settings make no valid inventory (the problems above); nothing was written")
	}
	if out == "-" {
		_, err := io.WriteString(s.Out, text)
		return err
	}
	if _, err := os.Stat(out); err == nil && !f.force {
		return fmt.Errorf("%s exists; pass --force to overwrite it, or --out another file", out)
	}
	if err := state.WriteFileAtomic(out, []byte(text), 0o644); err != nil {
		return fmt.Errorf("failed to write %s: %w", out, err)
	}
	fmt.Fprintf(s.Out, "wrote %s; next: tripod validate -i %s, then tripod plan -i %s\n", out, out, out)
	return nil
}

// promptInit asks for each setting the flags left alone, showing the value
// it takes on an empty answer.
func promptInit(s Streams, f *initFlags, cmd *cobra.Command) error {
	r := bufio.NewReader(s.In)
	ask := func(flag, question string, cur string) (string, error) {
		if cmd.Flags().Changed(flag) {
			return cur, nil
		}
		fmt.Fprintf(s.Out, "%s [%s]: ", question, cur)
		line, err := r.ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			if errors.Is(err, io.EOF) {
				return cur, nil
			}
			return "", err
		}
		if line = strings.TrimSpace(line); line != "" {
			return line, nil
		}
		return cur, nil
	}
	var err error
	if f.name, err = ask("name", "Cluster name", f.name); err != nil {
		return err
	}
	if f.provider, err = ask("provider", "Provider (dedibox, elastic-metal)", f.provider); err != nil {
		return err
	}
	d, ok := initDefaults[f.provider]
	if !ok {
		return fmt.Errorf("provider %q: want dedibox or elastic-metal", f.provider)
	}
	places, err := ask("at", "Datacenters or zones, one per AZ", strings.Join(d.places, ","))
	if err != nil {
		return err
	}
	f.places = strings.Split(places, ",")
	for i := range f.places {
		f.places[i] = strings.TrimSpace(f.places[i])
	}
	if f.offer, err = ask("offer", "Offer for every host", d.offer); err != nil {
		return err
	}
	for _, q := range []struct {
		flag, question string
		p              *int
	}{{"hosts-per-az", "Hosts per AZ", &f.hostsPerAZ}, {"workers-per-az", "Workers per AZ", &f.workers}} {
		v, err := ask(q.flag, q.question, fmt.Sprint(*q.p))
		if err != nil {
			return err
		}
		if _, err := fmt.Sscan(v, q.p); err != nil {
			return fmt.Errorf("%s: %q is not a number", q.question, v)
		}
	}
	if f.subnet, err = ask("subnet", "Private subnet", d.subnet); err != nil {
		return err
	}
	return nil
}

// isTerminalReader reports whether r is a terminal (prompting makes sense).
func isTerminalReader(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
