package simcore

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FaultSpec is a parsed --faults value. The grammar, clauses separated by ';':
//
//	[API.]5xx=P           HTTP 503 with probability P (0..1); API is scaleway, proxmox, factory or kube
//	[API.]429=P           HTTP 429 with a Retry-After header
//	[API.]429-bare=P      HTTP 429 without Retry-After
//	[API.]unavailable=P   gRPC Unavailable (talos)
//	[API.]hang=P          the request gets no answer for hang-for
//	[API.]lost=P          the request is served, but its answer is lost (a hang):
//	                      a create that happened although the client never heard
//	hang-for=DURATION     how long a hang lasts (default 10m: longer than any sane per-attempt timeout)
//	install-fail=NAME     the next OS install of the server named NAME (hostname or ID) fails, once
//	vm-start-fail=NAME    the next start of the VM named NAME fails, once
//	dark=PLACEMENT        every endpoint in datacenter or zone PLACEMENT (DC3, fr-par-2) stops answering
//	rtt=A-B:DURATION      ping between placements A and B reports DURATION (e.g. rtt=DC2-DC5:12ms)
//
// An API prefix limits a rate to that API; without one the rate applies to
// every API it makes sense for. Same seed, same decisions per route.
type FaultSpec struct {
	Global   Rates                    `json:"global"`
	PerAPI   map[API]Rates            `json:"per_api,omitempty"`
	HangFor  time.Duration            `json:"hang_for,omitempty"`
	OneShots map[string]bool          `json:"one_shots,omitempty"` // "install-fail:NAME", "vm-start-fail:NAME"
	Dark     map[string]bool          `json:"dark,omitempty"`      // lower-case placements
	RTT      map[string]time.Duration `json:"rtt,omitempty"`
	Source   string                   `json:"source"`
}

var knownAPIs = map[API]bool{APIScaleway: true, APIProxmox: true, APISSH: true, APITalos: true, APIKube: true, APIFactory: true}

// ParseFaults parses the --faults grammar. An empty string is no faults.
func ParseFaults(s string) (FaultSpec, error) {
	spec := FaultSpec{PerAPI: map[API]Rates{}, OneShots: map[string]bool{}, Dark: map[string]bool{}, RTT: map[string]time.Duration{}, Source: s}
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

func (s *FaultSpec) apply(key, val string) error {
	switch key {
	case "hang-for":
		d, err := time.ParseDuration(val)
		if err != nil || d <= 0 {
			return fmt.Errorf("want a positive duration like 30s")
		}
		s.HangFor = d
		return nil
	case "install-fail", "vm-start-fail":
		if val == "" {
			return fmt.Errorf("want a name")
		}
		s.OneShots[key+":"+val] = true
		return nil
	case "dark":
		if val == "" {
			return fmt.Errorf("want a datacenter or zone")
		}
		s.Dark[strings.ToLower(val)] = true
		return nil
	case "rtt":
		pair, dur, ok := strings.Cut(val, ":")
		a, b, ok2 := strings.Cut(pair, "-")
		d, err := time.ParseDuration(dur)
		if !ok || !ok2 || err != nil || a == "" || b == "" {
			return fmt.Errorf("want rtt=A-B:DURATION, e.g. rtt=DC2-DC5:12ms")
		}
		s.RTT[rttKey(a, b)] = d
		return nil
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
	r := s.Global
	if api != "" {
		r = s.PerAPI[api]
	}
	switch rate {
	case "5xx":
		r.HTTP5xx = p
	case "429":
		r.HTTP429 = p
	case "429-bare":
		r.HTTP429Bare = p
	case "unavailable":
		r.Unavailable = p
	case "hang":
		r.Hang = p
	case "lost":
		r.Lost = p
	default:
		return fmt.Errorf("unknown fault %q", rate)
	}
	if api == "" {
		s.Global = r
	} else {
		s.PerAPI[api] = r
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
