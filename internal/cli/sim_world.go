//go:build !nosim

package cli

import (
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/scaleway/scaleway-sdk-go/scw"
	"github.com/spf13/cobra"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/netx"
	"github.com/tripod-dev/tripod/internal/retry"
	"github.com/tripod-dev/tripod/internal/sim"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
	"github.com/tripod-dev/tripod/internal/state"
)

// This file is all the CLI holds of the simulator: `tripod up --sim` and
// `tripod sim serve`. A build with -tags nosim leaves it, and the simulator
// with its etcd server, out (sim_none.go).

// simAvailable: this build has the simulator.
func simAvailable(bool) error { return nil }

// hostSim hosts the world whose data lives in dir in this process (--sim).
func hostSim(sf *simFlags, dir string) (*remote, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	opts, err := sf.options(dir)
	if err != nil {
		return nil, err
	}
	w, _, err := sim.Resume(opts)
	if err != nil {
		return nil, err
	}
	d, err := netx.Simulated(w.AdminURL())
	if err != nil {
		w.Close()
		return nil, err
	}
	vars := map[string]string{}
	for _, kv := range w.EnvVars() {
		vars[kv[0]] = kv[1]
	}
	scale, _ := strconv.ParseFloat(vars["TRIPOD_SIM_TIME_SCALE"], 64)
	return &remote{dialer: d, profile: profileFrom(vars), source: "the in-process simulator", timing: retry.Scaled(scale), world: w, label: "in-process simulator"}, nil
}

func profileFrom(vars map[string]string) *scw.Profile {
	s := func(k string) *string { v := vars[k]; return &v }
	return &scw.Profile{
		APIURL: s("SCW_API_URL"), AccessKey: s("SCW_ACCESS_KEY"), SecretKey: s("SCW_SECRET_KEY"),
		DefaultProjectID: s("SCW_DEFAULT_PROJECT_ID"), DefaultOrganizationID: s("SCW_DEFAULT_ORGANIZATION_ID"),
		DefaultZone: s("SCW_DEFAULT_ZONE"), DefaultRegion: s("SCW_DEFAULT_REGION"),
	}
}

func (f *simFlags) options(dataDir string) (sim.Options, error) {
	p, err := simcore.ProfileByName(f.profile)
	if err != nil {
		return sim.Options{}, err
	}
	opts := sim.Options{Profile: p, TimeScale: f.timeScale, Seed: f.seed, Faults: f.faults, DataDir: dataDir,
		SchematicIDs: []string{inventory.DefaultSchematic}}
	if opts.Operator, err = simcore.ParseOperator(f.operator); err != nil {
		return sim.Options{}, fmt.Errorf("--%soperator: %w", f.prefix, err)
	}
	if a, perr := netip.ParseAddr(f.operatorSource); perr != nil || !a.Is4() || a.IsPrivate() || a.IsLoopback() {
		return sim.Options{}, fmt.Errorf("--%soperator-source %q is not a public IPv4 address: give the address the operator's connections come from, such as 203.0.113.10", f.prefix, f.operatorSource)
	}
	opts.OperatorSource = f.operatorSource
	if f.preload != "" {
		if opts.Preload, err = sim.LoadPreload(f.preload); err != nil {
			return sim.Options{}, err
		}
	}
	return opts, nil
}

// serveSim is `tripod sim serve`: a world served until interrupted.
func serveSim(cmd *cobra.Command, s Streams, f *simServeFlags) error {
	dir := f.dataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "tripod-sim-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	opts, err := f.options(dir)
	if err != nil {
		return err
	}
	w, resumed, err := sim.Resume(opts)
	if err != nil {
		return err
	}
	defer w.Close()
	if err := state.WriteFileAtomic(f.envFile, []byte(w.EnvFile()), 0o600); err != nil {
		return err
	}
	how := "new world"
	if resumed {
		how = "resumed world from " + filepath.Join(dir, sim.WorldFile)
	}
	fmt.Fprintf(s.Err, "simulator ready (%s, profile %s, time scale %g, seed %d, operator %s): admin %s, environment in %s\n",
		how, opts.Profile.Name, opts.TimeScale, opts.Seed, w.Env.OperatorPosition(), w.AdminURL(), f.envFile)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	select {
	case <-sig:
	case <-cmd.Context().Done():
	}
	if f.dataDir != "" {
		return w.Save()
	}
	return nil
}
