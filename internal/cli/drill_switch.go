package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/netx"
)

// actionAZDown is the journal action of an AZ taken down by a drill: its
// intent is written before, its done record once the AZ is back.
const actionAZDown = "az-down"

// azSwitch takes an AZ down and brings it back.
type azSwitch interface {
	set(ctx context.Context, az inventory.AZ, down bool) error
	mode(az inventory.AZ) string
}

// azSwitchFor picks how this run takes an AZ down: the served simulator's
// admin API, or (not yet) Proxmox.
func azSwitchFor(ss *session, f *azLossFlags) (azSwitch, error) {
	admin := os.Getenv("TRIPOD_SIM")
	switch {
	case f.run.sim:
		return nil, fmt.Errorf("drill az-loss needs the simulator served by another process (tripod sim serve, then TRIPOD_SIM): with --sim the world lives in this process, which the drill cannot darken from outside")
	case admin != "":
		d, err := netx.Simulated(admin)
		if err != nil {
			return nil, err
		}
		return &simSwitch{admin: admin, hc: d.HTTPClient(nil, 10*time.Second)}, nil
	case f.confirm != f.az:
		return nil, fmt.Errorf("drill az-loss on real infrastructure stops every VM of AZ %s: pass --confirm %s to go ahead", f.az, f.az)
	}
	return nil, fmt.Errorf("drill az-loss on real infrastructure (stopping the AZ's VMs through Proxmox) is not implemented yet; rehearse it on the simulator (tripod sim serve)")
}

// simSwitch darkens the AZ's placement through the simulator's admin API.
type simSwitch struct {
	admin string
	hc    *http.Client
}

func (s *simSwitch) mode(az inventory.AZ) string { return "simulator, dark=" + placementOf(az) }

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
		if err := sw.set(ctx, az, false); err != nil {
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
