package simcore

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"sync"
	"time"
)

// Fault is one decision of the fault model: a per-request row of the
// catalogue, with what its moves need.
type Fault struct {
	Kind       FaultKind
	RetryAfter time.Duration // what a rate-limit answer asks the client to wait
	HangFor    time.Duration // how long a hang (or a lost answer) lasts
	row        *FaultRow
}

// HTTP is the fault's move on an HTTP request.
func (f Fault) HTTP() HTTPMove {
	if f.row == nil {
		return HTTPMove{}
	}
	return f.row.HTTP
}

// GRPC is the fault's move on a gRPC call.
func (f Fault) GRPC() GRPCMove {
	if f.row == nil {
		return GRPCMove{}
	}
	return f.row.GRPC
}

// SSH is the fault's move on the hosts' sshd (FaultRow.SSH).
func (f Fault) SSH() Move {
	if f.row == nil {
		return MovePass
	}
	return f.row.SSH
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

// Decide draws the fault for one HTTP request (grpc false) or gRPC call
// (grpc true) to route of api: DecideOn for those two transports.
func (f *Faults) Decide(api API, route string, grpc bool) Fault {
	if grpc {
		return f.DecideOn(api, route, TransportGRPC)
	}
	return f.DecideOn(api, route, TransportHTTP)
}

// DecideOn draws the fault for one request to route of api over transport
// t, among the catalogue's per-request rows that have a move on t, in the
// catalogue's order.
func (f *Faults) DecideOn(api API, route string, t Transport) Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := mergeRates(f.spec.Global, f.spec.PerAPI[api])
	if len(r) == 0 {
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
	acc := 0.0
	for i := range catalogue {
		row := &catalogue[i]
		if row.Kind == FaultNone || row.on(t) == MovePass {
			continue
		}
		acc += r[row.Kind]
		if u < acc {
			f.injected[string(api)+" "+row.Name]++
			return Fault{Kind: row.Kind, RetryAfter: time.Duration(1+n%2) * time.Second, HangFor: hang, row: row}
		}
	}
	return Fault{}
}

// mergeRates is the global rates with an API's own (non-zero) rates over them.
func mergeRates(g, a Rates) Rates {
	out := make(Rates, len(g)+len(a))
	for k, p := range g {
		if p != 0 {
			out[k] = p
		}
	}
	for k, p := range a {
		if p != 0 {
			out[k] = p
		}
	}
	return out
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

// cuts reports whether a placement fault keeps from from reaching to. Only
// Env.Reach asks it: it is the fault half of the network's one
// reachability question.
func (f *Faults) cuts(from, to Spot) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range catalogue {
		if c := catalogue[i].cuts; c != nil && c(&f.spec, from, to) {
			return true
		}
	}
	return false
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

// DropsForwarded reports whether host's uplink drops the traffic it
// forwards (the noegress fault): only Env.Egress asks it.
func (f *Faults) DropsForwarded(host string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.spec.NoEgress[strings.ToLower(host)]
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
