package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

const worldFormat = 1

// WorldFile is the saved world's name inside the data directory.
const WorldFile = "world.json"

type savedWorld struct {
	Format    int             `json:"format"`
	Profile   string          `json:"profile"`
	TimeScale float64         `json:"time_scale"`
	Seed      int64           `json:"seed"`
	Faults    string          `json:"faults"`
	Quota     int             `json:"quota,omitempty"` // a setting, not part of the Scaleway world's state
	Scaleway  json.RawMessage `json:"scaleway"`
	Proxmox   json.RawMessage `json:"proxmox"`
	Talos     json.RawMessage `json:"talos"`
	Factory   json.RawMessage `json:"factory"`
}

// Save writes the world to DataDir/world.json (etcd data is already in
// DataDir), so a later Resume continues it.
func (w *World) Save() error {
	s := savedWorld{Format: worldFormat, Profile: w.opts.Profile.Name, TimeScale: w.opts.TimeScale, Seed: w.opts.Seed,
		Faults: w.Env.Faults.Spec().Source, Quota: w.Scaleway.ServerQuotaNow()}
	var err error
	for _, part := range []struct {
		dst  *json.RawMessage
		save func() ([]byte, error)
	}{{&s.Scaleway, w.Scaleway.Save}, {&s.Proxmox, w.Proxmox.Save}, {&s.Talos, w.Talos.Save}, {&s.Factory, w.Factory.Save}} {
		if *part.dst, err = part.save(); err != nil {
			return fmt.Errorf("failed to save the simulated world: %w", err)
		}
	}
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	tmp := filepath.Join(w.opts.DataDir, WorldFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("failed to save the simulated world: %w", err)
	}
	return os.Rename(tmp, filepath.Join(w.opts.DataDir, WorldFile))
}

// Resume starts the world saved in opts.DataDir, or a new one (with
// opts.Preload) if none was saved. A saved world keeps its own profile,
// scale, seed and faults.
func Resume(opts Options) (w *World, resumed bool, err error) {
	b, err := os.ReadFile(filepath.Join(opts.DataDir, WorldFile))
	if errors.Is(err, fs.ErrNotExist) {
		w, err = Start(opts)
		return w, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("failed to read the simulated world: %w", err)
	}
	var s savedWorld
	if err := json.Unmarshal(b, &s); err != nil || s.Format != worldFormat {
		return nil, false, fmt.Errorf("the simulated world in %s is unreadable (%v); remove it to start a new one", opts.DataDir, err)
	}
	if p, err := simcore.ProfileByName(s.Profile); err == nil {
		opts.Profile = p
	}
	opts.TimeScale, opts.Seed, opts.Faults, opts.Preload = s.TimeScale, s.Seed, s.Faults, nil
	if w, err = Start(opts); err != nil {
		return nil, false, err
	}
	// The order matters: Proxmox hosts reopen their own listeners, Talos
	// nodes restart etcd from their data before anything boots, and Scaleway
	// goes last so an install that completes now finds Proxmox ready.
	for _, part := range []struct {
		name string
		data json.RawMessage
		load func([]byte) error
	}{{"factory", s.Factory, w.Factory.Load}, {"proxmox", s.Proxmox, w.Proxmox.Load}, {"talos", s.Talos, w.Talos.Load}, {"scaleway", s.Scaleway, w.Scaleway.Load}} {
		if err := part.load(part.data); err != nil {
			w.Close()
			return nil, false, fmt.Errorf("failed to restore the simulated %s: %w", part.name, err)
		}
	}
	w.Scaleway.SetServerQuota(s.Quota)
	return w, true, nil
}
