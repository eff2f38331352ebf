package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/tripod-dev/tripod/internal/netx"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/stage"
	"github.com/tripod-dev/tripod/internal/state"
	"github.com/tripod-dev/tripod/internal/talos"
)

// tunnelDir is where tunnel writes its client configs, in the state
// directory: a folder a remote state never stores.
var tunnelDir = filepath.Join(state.LocalDir, "tunnel")

type tunnelFlags struct {
	run       runFlags
	kubePort  int
	talosPort int
	uiPort    int
	uiHost    string
}

func newTunnelCommand(s Streams) *cobra.Command {
	f := &tunnelFlags{}
	cmd := &cobra.Command{
		Use:   "tunnel -i FILE",
		Short: "Forward local ports through the hosts' SSH to the Kubernetes API, each control plane's Talos API and a host's Proxmox UI",
		Long: `Open local port forwards, on 127.0.0.1, to the cluster's private services: the Kubernetes
API (the kubeconfig's server, the VIP by default), the Talos API of each control plane, and
one host's Proxmox API and web UI (the first host unless --ui-host names another), by
the route tripod's own API calls take (with access.via ssh, through that host's SSH to its
own 8006, which the firewall keeps from the internet unless access.allowedSources opens it).
Each forward goes through SSH to a Proxmox host on the private network, hosts of the
target's AZ first, the way up reaches them (inventory access.via; with direct, the
forwards dial the private addresses themselves).

It writes local/tunnel/kubeconfig and local/tunnel/talosconfig in the state directory
(0600, in clear even with a sealed store, removed when the tunnel closes; a remote
state never stores them): the
admin configs pointed at the local ports, still verifying the servers' certificates
(tls-server-name for Kubernetes; the control planes' certificates name 127.0.0.1). It
prints how to use them, and stays in the foreground until interrupted (Ctrl-C). It holds
the state directory's lock while it runs, like every command that talks to the cluster.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runTunnel(cmd.Context(), s, f) },
	}
	addRunFlags(cmd, &f.run)
	cmd.Flags().IntVar(&f.kubePort, "kube-port", 0, "local port for the Kubernetes API (default: any free port)")
	cmd.Flags().IntVar(&f.talosPort, "talos-port", 0, "first local port for the control planes' Talos APIs, one each in layout order (default: any free ports)")
	cmd.Flags().IntVar(&f.uiPort, "ui-port", 0, "local port for the Proxmox UI (default: any free port)")
	cmd.Flags().StringVar(&f.uiHost, "ui-host", "", "the host whose Proxmox UI to forward (default: the first host)")
	return cmd
}

// forward is one local port and where it leads.
type forward struct {
	name   string // "Kubernetes API", "Talos API of lab-cp-1"
	target string // private host:port
	ln     net.Listener
}

func runTunnel(ctx context.Context, s Streams, f *tunnelFlags) error {
	ss, err := openSession(ctx, s, &f.run, "tripod tunnel", true)
	if err != nil {
		return err
	}
	defer ss.Close()
	kube, tc, err := tunnelSources(ss)
	if err != nil {
		return err
	}
	// The route needs the hosts' public addresses and their pinned SSH
	// keys: observe the servers and their OS as plan would, changing nothing.
	ss.sink = run.Sinks{}
	if _, err := ss.runner(stage.OS, true).Run(ctx); err != nil {
		return fmt.Errorf("failed to find the hosts to tunnel through: %w", err)
	}
	kubeTarget, err := serverHostPort(kube)
	if err != nil {
		return err
	}
	fwds := []*forward{{name: "Kubernetes API", target: kubeTarget}}
	var nodes []string
	for _, vm := range ss.inv.Layout.ControlPlanes() {
		fwds = append(fwds, &forward{name: "Talos API of " + vm.Name, target: net.JoinHostPort(vm.Address.String(), "50000")})
		nodes = append(nodes, vm.Address.String())
	}
	ui, err := uiForward(ss, f.uiHost)
	if err != nil {
		return err
	}
	defer closeForwards(append(fwds, ui))
	if err := listenForwards(fwds, f.kubePort, f.talosPort); err != nil {
		return err
	}
	if err := listenForward(ui, f.uiPort, "--ui-port"); err != nil {
		return err
	}
	var locals []string
	for _, fw := range fwds[1:] {
		locals = append(locals, fw.ln.Addr().String())
	}
	fwds = append(fwds, ui)
	kubeOut, err := talos.TunnelKubeconfig(kube, fwds[0].ln.Addr().String())
	if err != nil {
		return err
	}
	talosOut, err := talos.TunnelTalosconfig(tc, locals, nodes[:1])
	if err != nil {
		return err
	}
	kpath, tpath, err := writeTunnelConfigs(ss.dir, kubeOut, talosOut)
	defer removeTunnelConfigs(s, kpath, tpath)
	if err != nil {
		return err
	}
	printTunnel(s, ss.remote.label, fwds, kpath, tpath, nodes)
	return serveForwards(ctx, s, ss.env.Dialer, fwds)
}

// tunnelSources reads the admin kubeconfig and talosconfig the cluster's
// up wrote: a tunnel to a cluster that is not up yet has nothing to offer.
func tunnelSources(ss *session) (kube, tc []byte, err error) {
	read := func(rel, writer string) ([]byte, error) {
		b, _, err := state.ReadSecretFile(ss.dir.Path, rel)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no %s in %s yet: tripod up -i %s writes it (%s)", rel, ss.dir.Path, ss.flags.file, writer)
		}
		return b, err
	}
	if kube, err = read(talos.KubeconfigFile, "the health stage"); err != nil {
		return nil, nil, err
	}
	if tc, err = read(talos.TalosconfigFile, "the machineconfig stage"); err != nil {
		return nil, nil, err
	}
	return kube, tc, nil
}

// serverHostPort is the kubeconfig's server as host:port.
func serverHostPort(kube []byte) (string, error) {
	k, err := talos.ParseKubeconfig(kube)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(k.Server)
	if err != nil || u.Hostname() == "" {
		return "", fmt.Errorf("the kubeconfig's server %q is not a URL", k.Server)
	}
	port := u.Port()
	if port == "" {
		port = "443"
	}
	return net.JoinHostPort(u.Hostname(), port), nil
}

// listenForwards opens each forward's local port: kubePort for the first,
// talosPort and up for the others; 0 takes any free port.
func listenForwards(fwds []*forward, kubePort, talosPort int) error {
	for i, fw := range fwds {
		port := 0
		switch {
		case i == 0:
			port = kubePort
		case talosPort != 0:
			port = talosPort + i - 1
		}
		if err := listenForward(fw, port, "--kube-port or --talos-port"); err != nil {
			return err
		}
	}
	return nil
}

// listenForward opens fw's local port (0: any free one); flag names the
// option that chooses another.
func listenForward(fw *forward, port int, flag string) error {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("failed to open a local port for the %s: %w (choose another with %s)", fw.name, err, flag)
	}
	fw.ln = ln
	return nil
}

// uiForward leads to host's Proxmox UI (the first host's when host is
// ""), by the route tripod's own API calls take: with access.via ssh
// through that host's SSH to its own 8006, which the firewall keeps from
// the internet.
func uiForward(ss *session, host string) (*forward, error) {
	hosts := ss.inv.Layout.Hosts
	if host == "" && len(hosts) > 0 {
		host = hosts[0].Name
	}
	var names []string
	for _, h := range hosts {
		if h.Name == host {
			target, err := ss.env.HostAPIAddress(h.Name)
			if err != nil {
				return nil, err
			}
			return &forward{name: "Proxmox UI of " + h.Name, target: target}, nil
		}
		names = append(names, h.Name)
	}
	return nil, fmt.Errorf("--ui-host %q is no host of the inventory; its hosts are %v", host, names)
}

func closeForwards(fwds []*forward) {
	for _, fw := range fwds {
		if fw.ln != nil {
			fw.ln.Close()
		}
	}
}

// writeTunnelConfigs writes the two configs in clear, 0600: kubectl and
// talosctl cannot read a sealed file. Their keys are the cluster admin's,
// so they live only as long as the tunnel (removeTunnelConfigs).
func writeTunnelConfigs(dir *state.Dir, kube, tc []byte) (string, string, error) {
	krel, trel := filepath.Join(tunnelDir, "kubeconfig"), filepath.Join(tunnelDir, "talosconfig")
	kpath, tpath := filepath.Join(dir.Path, krel), filepath.Join(dir.Path, trel)
	for rel, b := range map[string][]byte{krel: kube, trel: tc} {
		if err := dir.WriteFile(rel, b, 0o600); err != nil {
			return kpath, tpath, err // the caller removes what was written
		}
	}
	return kpath, tpath, nil
}

// removeTunnelConfigs removes the two configs when the tunnel closes: they
// point at ports that close with it, and they hold the admin's keys in
// clear, which must not outlive it beside a sealed store. (A killed tunnel
// leaves them; the next one writes them again.)
func removeTunnelConfigs(s Streams, paths ...string) {
	for _, p := range paths {
		if p == "" {
			continue
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(s.Err, "warning: failed to remove %s: %v\n", p, err)
		}
	}
}

func printTunnel(s Streams, via string, fwds []*forward, kpath, tpath string, nodes []string) {
	fmt.Fprintf(s.Out, "Tunnels open (%s), until Ctrl-C:\n", via)
	for _, fw := range fwds {
		fmt.Fprintf(s.Out, "  %-28s %s -> %s\n", fw.name, fw.ln.Addr(), fw.target)
	}
	fmt.Fprintf(s.Out, "\n  export KUBECONFIG=%s\n  kubectl get nodes\n\n  export TALOSCONFIG=%s\n  talosctl -n %s etcd members\n", kpath, tpath, nodes[0])
	ui := fwds[len(fwds)-1]
	fmt.Fprintf(s.Out, "\n  the Proxmox UI: https://%s (root@pam, the password in the state directory's secrets)\n", ui.ln.Addr())
}

// serveForwards runs every forward until ctx ends. A connection that cannot
// reach its target is closed, and the reason printed once per burst.
func serveForwards(ctx context.Context, s Streams, d *netx.Dialer, fwds []*forward) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, len(fwds))
	for i, fw := range fwds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mu sync.Mutex
			var last time.Time
			errs[i] = netx.Forward(ctx, fw.ln, func(ctx context.Context) (net.Conn, error) {
				return d.DialContext(ctx, "tcp", fw.target)
			}, func(err error) {
				mu.Lock()
				defer mu.Unlock()
				if time.Since(last) > 5*time.Second {
					fmt.Fprintf(s.Err, "tunnel: %s: %v\n", fw.name, err)
				}
				last = time.Now()
			})
			if errs[i] != nil {
				cancel() // one listener failing ends the tunnel
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
