package simcore

import (
	"fmt"
	"hash/fnv"
	"sort"
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
