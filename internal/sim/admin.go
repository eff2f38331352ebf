package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// State is GET /state: everything the world holds.
type State struct {
	Scaleway any      `json:"scaleway"`
	Proxmox  any      `json:"proxmox"`
	Talos    any      `json:"talos"`
	Faults   any      `json:"faults"`
	Dark     []string `json:"dark"`
}

func (w *World) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /state", func(rw http.ResponseWriter, r *http.Request) {
		writeJSON(rw, State{
			Scaleway: w.Scaleway.State(), Proxmox: w.Proxmox.State(), Talos: w.Talos.State(),
			Faults: w.Env.Faults.Injected(), Dark: w.Env.Faults.DarkPlacements(),
		})
	})
	mux.HandleFunc("GET /requests", func(rw http.ResponseWriter, r *http.Request) { writeJSON(rw, w.Env.Log.Snapshot()) })
	mux.HandleFunc("GET /netmap", func(rw http.ResponseWriter, r *http.Request) {
		writeJSON(rw, struct {
			Entries []simcore.NetEntry `json:"entries"`
			CA      string             `json:"ca"`
		}{w.Env.Net.Entries(), string(w.ca.pem)})
	})
	// GET /exposure?source=S&host=H: which ports of host H accept a new
	// connection from source S (default: the operator's public source),
	// from the state the hosts' listeners enforce.
	mux.HandleFunc("GET /exposure", func(rw http.ResponseWriter, r *http.Request) {
		src := r.URL.Query().Get("source")
		if src == "" {
			src = w.Proxmox.OperatorSource
		}
		ex, err := w.Proxmox.Exposure(src, r.URL.Query().Get("host"))
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		writeJSON(rw, ex)
	})
	mux.HandleFunc("GET /faults", func(rw http.ResponseWriter, r *http.Request) { writeJSON(rw, w.Env.Faults.Spec()) })
	// POST /faults replaces the fault spec with the body, in the --faults
	// grammar ("dark=DC3", "proxmox.5xx=0.05;hang=0.01", "" for none).
	mux.HandleFunc("POST /faults", func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		spec, err := simcore.ParseFaults(strings.TrimSpace(string(body)))
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		w.Env.Faults.Set(spec)
		writeJSON(rw, spec)
	})
	// POST and DELETE /dark/{placement} switch one datacenter or zone dark
	// and back, leaving every other fault as it is (tripod drill az-loss).
	mux.HandleFunc("POST /dark/{placement}", func(rw http.ResponseWriter, r *http.Request) {
		w.Env.Faults.SetDark(r.PathValue("placement"), true)
		writeJSON(rw, w.Env.Faults.DarkPlacements())
	})
	mux.HandleFunc("DELETE /dark/{placement}", func(rw http.ResponseWriter, r *http.Request) {
		w.Env.Faults.SetDark(r.PathValue("placement"), false)
		writeJSON(rw, w.Env.Faults.DarkPlacements())
	})
	mux.HandleFunc("GET /info", func(rw http.ResponseWriter, r *http.Request) {
		writeJSON(rw, map[string]any{"profile": w.opts.Profile.Name, "time_scale": w.opts.TimeScale, "seed": w.opts.Seed,
			"operator": w.Env.OperatorPosition(), "operator_source": w.Proxmox.OperatorSource})
	})
	return mux
}

func writeJSON(rw http.ResponseWriter, v any) {
	rw.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(rw)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
