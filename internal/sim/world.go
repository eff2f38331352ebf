package sim

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tripod-dev/tripod/internal/sim/factory"
	"github.com/tripod-dev/tripod/internal/sim/proxmox"
	"github.com/tripod-dev/tripod/internal/sim/scaleway"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
	"github.com/tripod-dev/tripod/internal/sim/talos"
)

// FactoryAddress is where the simulated Image Factory answers, as the tool
// dials it (through the address map).
const FactoryAddress = "factory.talos.dev:443"

// Options configure a world.
type Options struct {
	Profile   simcore.Profile
	TimeScale float64
	Seed      int64
	Faults    string   // the --faults grammar (simcore.ParseFaults)
	Preload   *Preload // nil: nothing preloaded
	// DataDir holds etcd data and, for Save, the world file. Required.
	DataDir string
	// Operator is the side of the network the operator stands on:
	// simcore.OperatorPrivate ("" too, the default) reaches every simulated
	// address directly; simcore.OperatorPublic reaches private addresses
	// only through a host's SSH. It belongs to the rehearsal, not to the
	// world: a resumed world takes the caller's.
	Operator simcore.Operator
	// OperatorSource is the operator's public address, the source the hosts'
	// firewalls see on every connection to their public ports ("": the
	// default, proxmox.DefaultOperatorSource). Like Operator, it belongs to
	// the rehearsal.
	OperatorSource string
	// SchematicIDs are registered with the Image Factory up front (the
	// real factory knows every schematic ever created).
	SchematicIDs []string
}

// World is one running simulated world.
type World struct {
	Env      *simcore.Env
	Scaleway *scaleway.Sim
	Proxmox  *proxmox.Cluster
	Talos    *talos.Nodes
	Factory  *factory.Factory

	opts    Options
	ca      *authority
	scwLn   net.Listener
	adminLn net.Listener
	servers []*http.Server
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	closed  sync.Once
}

// Start builds and serves a world.
func Start(opts Options) (*World, error) {
	if opts.DataDir == "" {
		return nil, errors.New("sim: a data directory is required")
	}
	if opts.Profile.Name == "" {
		opts.Profile = simcore.Instant
	}
	if opts.TimeScale == 0 {
		opts.TimeScale = 1
	}
	spec, err := simcore.ParseFaults(opts.Faults)
	if err != nil {
		return nil, fmt.Errorf("--faults: %w", err)
	}
	ca, err := newAuthority()
	if err != nil {
		return nil, err
	}
	env := simcore.NewEnv(opts.Profile, opts.TimeScale, opts.Seed)
	env.Faults.Set(spec)
	env.SetOperator(opts.Operator)
	w := &World{Env: env, opts: opts, ca: ca}
	w.Factory = factory.New(env)
	for _, id := range opts.SchematicIDs {
		w.Factory.Register(id)
	}
	w.Scaleway = scaleway.New(env, scaleway.NewCredentials(opts.Seed))
	w.Proxmox = proxmox.New(env)
	w.Proxmox.Images = w.Factory
	if opts.OperatorSource != "" {
		w.Proxmox.OperatorSource = opts.OperatorSource
	}
	w.Talos = talos.New(env, filepath.Join(opts.DataDir, "etcd"))
	w.wire()
	if err := w.serve(); err != nil {
		w.Close()
		return nil, err
	}
	if opts.Preload != nil {
		if err := w.applyPreload(opts.Preload); err != nil {
			w.Close()
			return nil, err
		}
	}
	return w, nil
}

// wire connects the simulators the way the real systems are connected.
func (w *World) wire() {
	w.Scaleway.OnInstalled = func(h simcore.HostInfo) {
		if err := w.Proxmox.AddHost(h); err != nil {
			w.Env.Log.Error(simcore.APIProxmox, "protocol", fmt.Sprintf("host %s did not come up: %v", h.Hostname, err))
		}
	}
	w.Scaleway.OnRemoved = func(serverID, _ string) { w.Proxmox.RemoveHost(serverID) }
	w.Scaleway.OnRebooted = w.Proxmox.RebootHost
	w.Proxmox.OnPrivateLink = w.Scaleway.PrivateLinkUp
	w.Proxmox.OnVMStarted = func(vm simcore.VMInfo) { w.Talos.Boot(vm) }
	w.Proxmox.OnVMStopped = func(_ string, _ int, ipCIDR string) {
		if ipCIDR != "" {
			w.Talos.PowerOff(ipCIDR)
		}
	}
	w.Proxmox.OnVMDestroyed = func(_ string, _ int, ipCIDR string) {
		if ipCIDR != "" {
			w.Talos.Destroy(ipCIDR)
		}
	}
	w.Talos.OnPowerOff = w.Proxmox.GuestPoweredOff
}

func (w *World) serve() error {
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	w.wg.Add(1)
	go func() { defer w.wg.Done(); w.Scaleway.Run(ctx) }()

	var err error
	if w.scwLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return fmt.Errorf("sim: failed to listen for the Scaleway API: %w", err)
	}
	w.start(w.scwLn, w.Scaleway.Handler())

	fln, err := w.Env.Listen(FactoryAddress, "", "factory")
	if err != nil {
		return err
	}
	cert, err := w.ca.serverCert("factory.talos.dev")
	if err != nil {
		return err
	}
	w.start(tls.NewListener(fln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}), w.Factory)

	if w.adminLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return fmt.Errorf("sim: failed to listen for the admin endpoint: %w", err)
	}
	w.start(w.adminLn, w.adminHandler())
	return nil
}

func (w *World) start(ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	w.servers = append(w.servers, srv)
	w.wg.Add(1)
	go func() { defer w.wg.Done(); srv.Serve(ln) }()
}

// AdminURL is the admin endpoint's base URL (TRIPOD_SIM).
func (w *World) AdminURL() string { return "http://" + w.adminLn.Addr().String() }

// ScalewayURL is the Scaleway API's base URL (SCW_API_URL).
func (w *World) ScalewayURL() string { return "http://" + w.scwLn.Addr().String() }

// EnvVars are the variables a tripod process (and the Scaleway SDK) needs to
// run against this world, in a stable order.
func (w *World) EnvVars() [][2]string {
	c := w.Scaleway.Credentials()
	return [][2]string{
		{"SCW_API_URL", w.ScalewayURL()},
		{"SCW_ACCESS_KEY", c.AccessKey},
		{"SCW_SECRET_KEY", c.SecretKey},
		{"SCW_DEFAULT_PROJECT_ID", c.ProjectID},
		{"SCW_DEFAULT_ORGANIZATION_ID", c.OrganizationID},
		{"SCW_DEFAULT_ZONE", "fr-par-1"},
		{"SCW_DEFAULT_REGION", "fr-par"},
		{"TRIPOD_SIM", w.AdminURL()},
		{"TRIPOD_SIM_TIME_SCALE", strconv.FormatFloat(w.opts.TimeScale, 'g', -1, 64)},
	}
}

// EnvFile renders EnvVars as KEY=VALUE lines.
func (w *World) EnvFile() string {
	var b strings.Builder
	for _, kv := range w.EnvVars() {
		fmt.Fprintf(&b, "%s=%s\n", kv[0], kv[1])
	}
	return b.String()
}

// Close stops every server, node and listener.
func (w *World) Close() {
	w.closed.Do(func() {
		if w.cancel != nil {
			w.cancel()
		}
		for _, s := range w.servers {
			s.Close()
		}
		w.Talos.Close()
		w.Proxmox.Close()
		w.Env.Net.CloseAll()
		w.wg.Wait()
	})
}
