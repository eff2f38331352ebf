package simcore

import (
	"context"
	"strings"
	"sync"
	"time"
)

// Env is the simulated world's shared context: time, faults, the request log
// and the address map. Its zero value is not usable; build it with NewEnv.
type Env struct {
	Profile   Profile
	TimeScale float64 // multiplies every profile duration; 0.001 turns minutes into tens of ms
	Seed      int64
	Faults    *Faults
	Log       *RequestLog
	Net       *NetMap

	mu       sync.Mutex
	nowFn    func() time.Time
	operator Operator
	links    HostLinks // what a simulated host reaches on the VLAN (Reach)
	gateways Gateways  // who holds a private address, for egress (Egress)
}

// NewEnv returns an Env with the given profile, time scale and seed, no faults,
// an empty request log and an empty address map.
func NewEnv(p Profile, timeScale float64, seed int64) *Env {
	if timeScale < 0 {
		timeScale = 0
	}
	return &Env{
		Profile:   p,
		TimeScale: timeScale,
		Seed:      seed,
		Faults:    NewFaults(seed),
		Log:       NewRequestLog(),
		Net:       NewNetMap(),
	}
}

// SetOperator says on which side of the network the operator (tripod, and
// any client of `sim serve`) stands. Set it before the first Listen: it
// decides how each listener is opened. The default is OperatorPrivate.
func (e *Env) SetOperator(o Operator) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.operator = o
}

// OperatorPosition is the operator's side of the network.
func (e *Env) OperatorPosition() Operator {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.operator == "" {
		return OperatorPrivate
	}
	return e.operator
}

// SetClock replaces the wall clock (tests that need a controlled timeline).
func (e *Env) SetClock(now func() time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.nowFn = now
}

// Now is the simulator's current time.
func (e *Env) Now() time.Time {
	e.mu.Lock()
	f := e.nowFn
	e.mu.Unlock()
	if f != nil {
		return f()
	}
	return time.Now()
}

// Delay is how long op takes for key (a server ID, a VM name...) after time
// scaling, with the profile's deterministic jitter.
func (e *Env) Delay(op Op, key string) time.Duration {
	return time.Duration(float64(e.Profile.base(e.Seed, op, key)) * e.TimeScale)
}

// Done reports whether op for key, started at start, has completed by now.
// Status machines are computed from start times this way instead of timers,
// so they survive save and reload and never race a goroutine.
func (e *Env) Done(start time.Time, op Op, key string) bool {
	return !e.Now().Before(start.Add(e.Delay(op, key)))
}

// Sleep waits for op's scaled duration, or until ctx ends.
func (e *Env) Sleep(ctx context.Context, op Op, key string) error {
	d := e.Delay(op, key)
	if d <= 0 {
		return ctx.Err()
	}
	return Sleep(ctx, d)
}

// Sleep waits for d, or until ctx ends: the context-aware wait every
// simulator's polling loop uses.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// RTT is the round-trip time between hosts placed in datacenters (Dedibox
// "DC2") or zones (Elastic Metal "fr-par-2") a and b. It is not time-scaled:
// it is what `ping` reports. A fault override (rtt=A-B:12ms) wins.
func (e *Env) RTT(a, b string) time.Duration {
	if d, ok := e.Faults.RTTOverride(a, b); ok {
		return d
	}
	key := a + "|" + b
	if b < a {
		key = b + "|" + a
	}
	switch {
	case strings.EqualFold(a, b):
		return e.Profile.base(e.Seed, OpHostRTTSameDC, key)
	case RegionOf(a) == RegionOf(b):
		return e.Profile.base(e.Seed, OpHostRTTCrossDC, key)
	default:
		return e.Profile.base(e.Seed, OpHostRTTCrossReg, key)
	}
}

// RegionOf maps a Dedibox datacenter or a Scaleway zone to its region.
func RegionOf(placement string) string {
	p := strings.ToLower(placement)
	switch {
	case strings.HasPrefix(p, "fr-par"), p == "dc2", p == "dc3", p == "dc5":
		return "fr-par"
	case strings.HasPrefix(p, "nl-ams"), strings.HasPrefix(p, "ams"):
		return "nl-ams"
	case strings.HasPrefix(p, "pl-waw"), strings.HasPrefix(p, "waw"):
		return "pl-waw"
	}
	return p
}
