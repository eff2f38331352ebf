package simcore

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FaultKind is what the fault model decided for one request.
type FaultKind int

// The faults a request can meet.
const (
	FaultNone        FaultKind = iota
	Fault5xx                   // HTTP 503 in the API's own error shape
	Fault429                   // HTTP 429 with Retry-After
	Fault429Bare               // HTTP 429 without Retry-After
	FaultUnavailable           // gRPC Unavailable
	FaultHang                  // no answer until the client gives up (or HangFor passes)
	FaultLost                  // served, but the answer is lost: the client sees a hang
)

// Fault is one decision of the fault model.
type Fault struct {
	Kind       FaultKind
	RetryAfter time.Duration // for Fault429
	HangFor    time.Duration // for FaultHang
}

// Rates are per-request probabilities (0..1).
type Rates struct {
	HTTP5xx     float64 `json:"5xx,omitempty"`
	HTTP429     float64 `json:"429,omitempty"`
	HTTP429Bare float64 `json:"429-bare,omitempty"`
	Unavailable float64 `json:"unavailable,omitempty"`
	Hang        float64 `json:"hang,omitempty"`
	Lost        float64 `json:"lost,omitempty"`
}

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

// Faults is the live fault model. It can be changed at run time.
type Faults struct {
	mu       sync.Mutex
	seed     int64
	spec     FaultSpec
	counters map[string]uint64
	// Injected counts the faults injected, per API and kind, for reports.
	injected map[string]int
}

// NewFaults returns a fault model with no faults.
func NewFaults(seed int64) *Faults {
	spec, _ := ParseFaults("")
	return &Faults{seed: seed, spec: spec, counters: map[string]uint64{}, injected: map[string]int{}}
}

// Set replaces the fault spec.
func (f *Faults) Set(spec FaultSpec) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.spec = spec
}

// Spec returns the current spec.
func (f *Faults) Spec() FaultSpec {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.spec
}

// Injected returns how many faults were injected, keyed "api kind".
func (f *Faults) Injected() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.injected))
	for k, v := range f.injected {
		out[k] = v
	}
	return out
}

// Decide draws the fault for one request to route of api. grpc selects the
// kinds that make sense for gRPC (Unavailable, hang) instead of HTTP ones.
func (f *Faults) Decide(api API, route string, grpc bool) Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.spec.Global
	if pr, ok := f.spec.PerAPI[api]; ok {
		r = mergeRates(r, pr)
	}
	if r == (Rates{}) {
		return Fault{}
	}
	key := string(api) + " " + route
	n := f.counters[key]
	f.counters[key] = n + 1
	h := fnv.New64a()
	fmt.Fprintf(h, "%d\x00%s\x00%d", f.seed, key, n)
	u := float64(h.Sum64()%1_000_000) / 1_000_000
	hang := f.spec.HangFor
	if hang <= 0 {
		hang = 10 * time.Minute
	}
	type choice struct {
		p     float64
		fault Fault
		name  string
	}
	var choices []choice
	if grpc {
		choices = []choice{{r.Unavailable, Fault{Kind: FaultUnavailable}, "unavailable"}, {r.Hang, Fault{Kind: FaultHang, HangFor: hang}, "hang"},
			{r.Lost, Fault{Kind: FaultLost, HangFor: hang}, "lost"}}
	} else {
		choices = []choice{
			{r.HTTP5xx, Fault{Kind: Fault5xx}, "5xx"},
			{r.HTTP429, Fault{Kind: Fault429, RetryAfter: time.Duration(1+n%2) * time.Second}, "429"},
			{r.HTTP429Bare, Fault{Kind: Fault429Bare}, "429-bare"},
			{r.Hang, Fault{Kind: FaultHang, HangFor: hang}, "hang"},
			{r.Lost, Fault{Kind: FaultLost, HangFor: hang}, "lost"},
		}
	}
	acc := 0.0
	for _, c := range choices {
		acc += c.p
		if u < acc {
			f.injected[string(api)+" "+c.name]++
			return c.fault
		}
	}
	return Fault{}
}

func mergeRates(g, a Rates) Rates {
	pick := func(x, y float64) float64 {
		if y != 0 {
			return y
		}
		return x
	}
	return Rates{pick(g.HTTP5xx, a.HTTP5xx), pick(g.HTTP429, a.HTTP429), pick(g.HTTP429Bare, a.HTTP429Bare), pick(g.Unavailable, a.Unavailable), pick(g.Hang, a.Hang), pick(g.Lost, a.Lost)}
}

// TakeOneShot consumes the one-shot fault kind ("install-fail",
// "vm-start-fail") for any of names, reporting whether it fired.
func (f *Faults) TakeOneShot(kind string, names ...string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range names {
		k := kind + ":" + n
		if f.spec.OneShots[k] {
			delete(f.spec.OneShots, k)
			f.injected["oneshot "+k]++
			return true
		}
	}
	return false
}

// IsDark reports whether placement (datacenter or zone) is dark.
func (f *Faults) IsDark(placement string) bool {
	if placement == "" {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.spec.Dark[strings.ToLower(placement)]
}

// SetDark switches a placement dark or back on.
func (f *Faults) SetDark(placement string, dark bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if dark {
		f.spec.Dark[strings.ToLower(placement)] = true
	} else {
		delete(f.spec.Dark, strings.ToLower(placement))
	}
}

// RTTOverride returns an rtt= override for the pair, if any.
func (f *Faults) RTTOverride(a, b string) (time.Duration, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.spec.RTT[rttKey(a, b)]
	return d, ok
}

// DarkPlacements lists the dark placements, sorted.
func (f *Faults) DarkPlacements() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, 0, len(f.spec.Dark))
	for k := range f.spec.Dark {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
