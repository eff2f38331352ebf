package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/netx"
	"github.com/tripod-dev/tripod/internal/retry"
)

// remote is where a command's stages send their requests: real services,
// a simulator served elsewhere (TRIPOD_SIM), or one hosted in-process (--sim).
type remote struct {
	dialer  *netx.Dialer
	profile *scw.Profile
	source  string // where profile's credentials came from, for messages
	timing  retry.Timing
	world   inProcessWorld // in-process only
	label   string
}

// inProcessWorld is a simulated world hosted by this process (--sim).
type inProcessWorld interface {
	Save() error
	Close()
}

// close saves an in-process world into the state directory (so the next
// --sim command continues it) and stops it.
func (r *remote) close() error {
	if r.world == nil {
		return nil
	}
	err := r.world.Save()
	r.world.Close()
	return err
}

// connect decides where requests go: --sim hosts a world whose data lives in
// stateDir/sim; TRIPOD_SIM points at a served one; otherwise real services,
// with credentials the Scaleway way (active profile, then SCW_* variables).
func connect(ctx context.Context, useSim bool, sf *simFlags, stateDir string) (*remote, error) {
	if useSim {
		return hostSim(sf, filepath.Join(stateDir, "sim"))
	}
	if admin := os.Getenv("TRIPOD_SIM"); admin != "" {
		d, err := netx.Simulated(admin)
		if err != nil {
			return nil, err
		}
		scale, err := simTimeScale(ctx, admin)
		if err != nil {
			return nil, err
		}
		p, src, err := scalewayProfile()
		if err != nil {
			return nil, err
		}
		return &remote{dialer: d, profile: p, source: src, timing: retry.Scaled(scale), label: "simulator " + admin}, nil
	}
	p, src, err := scalewayProfile()
	if err != nil {
		return nil, err
	}
	return &remote{dialer: netx.Direct(), profile: p, source: src, timing: retry.RealTime, label: "Scaleway"}, nil
}

// scalewayProfile is the active profile of the Scaleway config file (if
// any) overridden by SCW_* variables: what the scw CLI would use. source
// names where the secret key came from, for messages.
func scalewayProfile() (p *scw.Profile, source string, err error) {
	var base *scw.Profile
	cfg, err := scw.LoadConfig()
	switch {
	case err == nil:
		if base, err = cfg.GetActiveProfile(); err != nil {
			return nil, "", fmt.Errorf("Scaleway config: %w", err)
		}
		source = fmt.Sprintf("the scw config's active profile (%s)", scw.GetConfigPath())
	case isConfigNotFound(err):
		base = &scw.Profile{}
	default:
		return nil, "", fmt.Errorf("failed to read the Scaleway config file: %w", err)
	}
	env := scw.LoadEnvProfile()
	if env.SecretKey != nil && *env.SecretKey != "" {
		source = "the SCW_ACCESS_KEY and SCW_SECRET_KEY variables"
	}
	return scw.MergeProfiles(base, env), source, nil
}

func isConfigNotFound(err error) bool {
	var nf *scw.ConfigFileNotFoundError
	return errors.As(err, &nf)
}

func simTimeScale(ctx context.Context, admin string) (float64, error) {
	if v := os.Getenv("TRIPOD_SIM_TIME_SCALE"); v != "" {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f, nil
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	d, err := netx.Simulated(admin)
	if err != nil {
		return 0, err
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, admin+"/info", nil)
	resp, err := d.HTTPClient(nil, 0).Do(req)
	if err != nil {
		return 0, fmt.Errorf("failed to reach the simulator at TRIPOD_SIM=%s: %w", admin, err)
	}
	defer resp.Body.Close()
	var info struct {
		TimeScale float64 `json:"time_scale"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		return 0, fmt.Errorf("simulator at %s sent unreadable info: %w", admin, err)
	}
	return info.TimeScale, nil
}
