package cli

import "github.com/spf13/cobra"

// simFlags configure a simulated world, served or in-process.
type simFlags struct {
	profile   string
	timeScale float64
	seed      int64
	faults    string
	preload   string
	// operator is where the operator stands; prefix names the flag for
	// messages ("" for sim serve, "sim-" for --sim).
	operator string
	// operatorSource is the operator's public address, as the hosts'
	// firewalls see it.
	operatorSource string
	prefix         string
}

func addSimFlags(cmd *cobra.Command, f *simFlags, prefix string) {
	fl := cmd.Flags()
	fl.StringVar(&f.profile, prefix+"profile", "realistic", "latency profile: instant or realistic")
	fl.Float64Var(&f.timeScale, prefix+"time-scale", 0.0005, "multiplies every simulated duration (0.0005 turns a 12-minute install into 0.36 s)")
	fl.Int64Var(&f.seed, prefix+"seed", 1, "seed for jitter and faults: same seed, same timeline")
	fl.StringVar(&f.faults, prefix+"faults", "", `faults, e.g. "5xx=0.05;429=0.02;talos.unavailable=0.05;install-fail=lab-pve-2;dark=DC3"`)
	fl.StringVar(&f.preload, prefix+"preload", "", "YAML file of pre-existing servers, stock and VMs")
	fl.StringVar(&f.operator, prefix+"operator", "public",
		"where the operator stands: public (on the internet: private addresses only through a host's SSH, what access.via ssh does) or private (on the VLAN, as inside a VPN: every simulated address is reachable, for access.via direct)")
	fl.StringVar(&f.operatorSource, prefix+"operator-source", "203.0.113.10",
		"the operator's public IPv4 address: the source the simulated hosts' firewalls see on every connection to their public ports (SSH, 8006)")
	f.prefix = prefix
}

type simServeFlags struct {
	simFlags
	envFile string
	dataDir string
}

func newSimCommand(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "The simulated Scaleway, Proxmox VE, Talos and Kubernetes world, for rehearsals and tests",
	}
	f := &simServeFlags{}
	serve := &cobra.Command{
		Use:   "serve --env-file PATH",
		Short: "Serve a simulated world until interrupted",
		Long: `Serve simulated Scaleway (Dedibox, Elastic Metal), Proxmox VE, Image Factory, Talos and
Kubernetes APIs on loopback, speaking their real wire protocols. Once ready, PATH gets
KEY=VALUE lines (SCW_API_URL, SCW_ACCESS_KEY, SCW_SECRET_KEY, SCW_DEFAULT_PROJECT_ID,
SCW_DEFAULT_ORGANIZATION_ID, SCW_DEFAULT_ZONE, SCW_DEFAULT_REGION, TRIPOD_SIM): with them
in its environment, every tripod command runs against this world. The admin endpoint
(TRIPOD_SIM) serves /state, /requests, /netmap, /info and /faults (POST to change faults).
With --operator public (the default), the private VLAN (VM addresses, the Kubernetes
endpoint) is left out of /netmap and reachable only through a simulated host's SSH
(direct-tcpip), as from a laptop on the internet; --operator private puts the operator on
the VLAN, as inside a VPN (for inventories with access.via direct).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return serveSim(cmd, s, f)
		},
	}
	addSimFlags(serve, &f.simFlags, "")
	serve.Flags().StringVar(&f.envFile, "env-file", "", "write the environment for tripod and the Scaleway SDK here (required)")
	serve.MarkFlagRequired("env-file")
	serve.Flags().StringVar(&f.dataDir, "data-dir", "", "keep etcd data and save the world here on exit, and resume it on start (default: a temporary directory)")
	cmd.AddCommand(serve)
	return cmd
}
