package simcore

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FaultSpec is a parsed --faults value: clauses separated by ';', each one
// row of the catalogue (faults_catalogue.go, FaultCatalogue):
// per-request rates ("5xx=0.05", "proxmox.hang=0.01"), one-shots
// ("install-fail=NAME"), placement faults ("dark=DC3") and parameters
// ("hang-for=30s", "rtt=DC2-DC5:12ms"). An API prefix (scaleway, proxmox,
// ssh, talos, kube, factory) limits a rate to that API; without one the rate
// applies to every API it makes sense for. Same seed, same decisions per
// route.
type FaultSpec struct {
	Global   Rates                    `json:"global"`
	PerAPI   map[API]Rates            `json:"per_api,omitempty"`
	HangFor  time.Duration            `json:"hang_for,omitempty"`
	OneShots map[string]bool          `json:"one_shots,omitempty"` // "install-fail:NAME", "vm-start-fail:NAME"
	Dark     map[string]bool          `json:"dark,omitempty"`      // lower-case placements
	NoEgress map[string]bool          `json:"no_egress,omitempty"` // lower-case host names whose uplink drops forwarded traffic
	RTT      map[string]time.Duration `json:"rtt,omitempty"`
	Source   string                   `json:"source"`
}

// Rates are per-request probabilities (0..1) by kind; a kind not set (or set
// to 0) is never drawn.
type Rates map[FaultKind]float64

var knownAPIs = map[API]bool{APIScaleway: true, APIProxmox: true, APISSH: true, APITalos: true, APIKube: true, APIFactory: true}

// ParseFaults parses the --faults grammar. An empty string is no faults.
func ParseFaults(s string) (FaultSpec, error) {
	spec := FaultSpec{Global: Rates{}, PerAPI: map[API]Rates{}, OneShots: map[string]bool{}, Dark: map[string]bool{}, NoEgress: map[string]bool{}, RTT: map[string]time.Duration{}, Source: s}
	for _, clause := range strings.Split(s, ";") {
		clause = strings.TrimSpace(clause)
		if clause == "" {
			continue
		}
		key, val, ok := strings.Cut(clause, "=")
		if !ok {
			return FaultSpec{}, fmt.Errorf("fault clause %q: want KEY=VALUE", clause)
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if err := spec.apply(key, val); err != nil {
			return FaultSpec{}, fmt.Errorf("fault clause %q: %w", clause, err)
		}
	}
	return spec, nil
}

// apply reads one clause: a row that parses its own value, else a
// per-request rate with an optional API prefix.
func (s *FaultSpec) apply(key, val string) error {
	if row := faultNamed(key); row != nil && row.parse != nil {
		return row.parse(s, key, val)
	}
	api, rate := API(""), key
	if a, r, ok := strings.Cut(key, "."); ok {
		api, rate = API(a), r
		if !knownAPIs[api] {
			return fmt.Errorf("unknown API %q", a)
		}
	}
	p, err := strconv.ParseFloat(val, 64)
	if err != nil || p < 0 || p > 1 {
		return fmt.Errorf("want a probability between 0 and 1")
	}
	row := faultNamed(rate)
	if row == nil || row.Kind == FaultNone {
		return fmt.Errorf("unknown fault %q", rate)
	}
	r := s.Global
	if api != "" {
		if r = s.PerAPI[api]; r == nil {
			r = Rates{}
			s.PerAPI[api] = r
		}
	}
	if p == 0 {
		delete(r, row.Kind) // 0 is unset: a per-API 0 leaves the global rate in force
	} else {
		r[row.Kind] = p
	}
	return nil
}

func rttKey(a, b string) string {
	a, b = strings.ToLower(a), strings.ToLower(b)
	if b < a {
		a, b = b, a
	}
	return a + "-" + b
}
