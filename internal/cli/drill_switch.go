package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/netx"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/stage"
)

// actionAZDown is the journal action of an AZ taken down by a drill: its
// intent is written before, its done record once the AZ is back.
const actionAZDown = "az-down"

// azSwitch takes an AZ down and brings it back.
type azSwitch interface {
	set(ctx context.Context, az inventory.AZ, down bool) error
	mode(az inventory.AZ) string
}

// The ways a drill takes an AZ down (--via, and the journal's mode).
const (
	viaAuto    = "auto"
	viaSim     = "simulator"
	viaProxmox = "proxmox"
)

// azSwitchFor picks how this run takes an AZ down: the served simulator's
// admin API (the default when TRIPOD_SIM is set) or the AZ's VMs stopped
// through Proxmox (the default otherwise; on the simulator with --via
// proxmox), which needs --confirm repeating the AZ's name.
func azSwitchFor(ss *session, f *azLossFlags) (azSwitch, error) {
	admin := os.Getenv("TRIPOD_SIM")
	via := f.via
	if via == viaAuto {
		via = viaProxmox
		if admin != "" {
			via = viaSim
		}
	}
	switch {
	case f.run.sim:
		return nil, fmt.Errorf("drill az-loss needs the simulator served by another process (tripod sim serve, then TRIPOD_SIM): with --sim the world lives in this process, which the drill cannot darken from outside")
	case via == viaSim && admin == "":
		return nil, fmt.Errorf("--via simulator needs TRIPOD_SIM, the served simulator's admin address")
	case via == viaSim:
		d, err := netx.Simulated(admin)
		if err != nil {
			return nil, err
		}
		return &simSwitch{admin: admin, hc: d.HTTPClient(nil, 10*time.Second)}, nil
	case via != viaProxmox:
		return nil, fmt.Errorf("--via %q: want auto, simulator or proxmox", f.via)
	case f.confirm != f.az:
		return nil, fmt.Errorf("drill az-loss through Proxmox stops every VM of AZ %s that carries the cluster's tag: pass --confirm %s to go ahead", f.az, f.az)
	}
	return &proxmoxSwitch{ss: ss, sink: ss.sink}, nil
}

// proxmoxSwitch stops the AZ's VMs carrying the cluster's VM tag through
// Proxmox, and starts them again, as a run of stage.DrillAZList: every stop
// and start goes through the mutation gate and into the run log.
type proxmoxSwitch struct {
	ss *session
	// sink is the session's own (the terminal and the run log), kept
	// before openAccess silences it: the stops and starts are shown.
	sink run.Sink
}

func (p *proxmoxSwitch) mode(az inventory.AZ) string {
	return viaProxmox + ", VMs of " + az.Name + " stopped"
}

func (p *proxmoxSwitch) set(ctx context.Context, az inventory.AZ, down bool) error {
	ss := p.ss
	// The fleet needs the hosts' public addresses: observe them first,
	// quietly, as openAccess does.
	quiet := ss.runner(stage.OS, true)
	quiet.Sink = run.Sinks{}
	if _, err := quiet.Run(ctx); err != nil {
		return fmt.Errorf("failed to find the hosts of AZ %s: %w", az.Name, err)
	}
	r := &run.Runner{Stages: stage.DrillAZList(ss.env, az.Name, !down), Sink: p.sink, Pools: stage.Pools, Facts: ss.facts, Crash: ss.crash}
	rep, err := r.Run(ctx)
	if err != nil {
		return err
	}
	for _, st := range rep.Steps {
		if st.Err != nil {
			return fmt.Errorf("%s/%s: %w", st.Key.Stage, st.Key.Target, st.Err)
		}
	}
	return nil
}

// simSwitch darkens the AZ's placement through the simulator's admin API.
type simSwitch struct {
	admin string
	hc    *http.Client
}

func (s *simSwitch) mode(az inventory.AZ) string { return viaSim + ", dark=" + placementOf(az) }

func (s *simSwitch) set(ctx context.Context, az inventory.AZ, down bool) error {
	method := http.MethodDelete
	if down {
		method = http.MethodPost
	}
	req, err := http.NewRequestWithContext(ctx, method, s.admin+"/dark/"+url.PathEscape(placementOf(az)), nil)
	if err != nil {
		return err
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the simulator's admin API answered %s to %s %s", resp.Status, method, req.URL.Path)
	}
	return nil
}

// resumeAZs brings back every AZ a killed drill left down (an az-down
// intent without its done record) and records it done.
func resumeAZs(ctx context.Context, ss *session, sw azSwitch) ([]string, error) {
	var notes []string
	for _, rec := range ss.dir.Journal.Unresolved("drill", "az-loss", actionAZDown) {
		az, err := drillAZ(ss.inv, rec.Data["az"])
		if err != nil {
			return nil, fmt.Errorf("the journal records AZ %q taken down by a drill (run %s) that did not bring it back, and the inventory no longer has it: %w", rec.Data["az"], rec.Run, err)
		}
		back := sw
		if strings.HasPrefix(rec.Data["mode"], viaProxmox) {
			back = &proxmoxSwitch{ss: ss, sink: ss.sink} // its VMs were stopped: start them
		} else if _, ok := sw.(*simSwitch); !ok {
			return nil, fmt.Errorf("the journal records AZ %s darkened on the simulator by drill run %s, and this run does not reach a simulator (TRIPOD_SIM)", az.Name, rec.Run)
		}
		if err := back.set(ctx, az, false); err != nil {
			return nil, fmt.Errorf("failed to bring back AZ %s, left down by drill run %s: %w", az.Name, rec.Run, err)
		}
		if err := ss.dir.Journal.Complete(rec, map[string]string{"back": time.Now().UTC().Format(time.RFC3339), "by": "resume"}); err != nil {
			return nil, err
		}
		notes = append(notes, fmt.Sprintf("brought AZ %s back: drill run %s took it down at %s and was killed before it brought it back",
			az.Name, rec.Run, rec.Time.UTC().Format(time.RFC3339)))
	}
	return notes, nil
}
