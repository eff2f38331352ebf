package retry

import "time"

// Timing scales intervals and deadlines. Scale 1 is real time; against the
// simulator it is the simulator's time scale, so a 15 s poll of a 12 min
// install becomes 15 ms of a 720 ms one. Floors keep attempts long enough
// for a loaded machine to answer a loopback request.
type Timing struct {
	Scale       float64
	MinInterval time.Duration
	MinAttempt  time.Duration
}

// RealTime is the timing for real services.
var RealTime = Timing{Scale: 1, MinInterval: 50 * time.Millisecond, MinAttempt: time.Second}

// Scaled is the timing for a simulator running at scale.
func Scaled(scale float64) Timing {
	if scale <= 0 || scale >= 1 {
		return RealTime
	}
	return Timing{Scale: scale, MinInterval: 2 * time.Millisecond, MinAttempt: 2 * time.Second}
}

func (t Timing) scale(d time.Duration) time.Duration {
	if t.Scale == 0 {
		return d
	}
	return time.Duration(float64(d) * t.Scale)
}

// Interval is a poll interval or backoff delay.
func (t Timing) Interval(d time.Duration) time.Duration { return max(t.scale(d), t.MinInterval) }

// Deadline is an overall wait limit (an install's hour). Its floor grows
// with the real wait, one step of MinAttempt*5 per five minutes, up to
// six: against the simulator the long waits (etcd forming, a node's API
// coming up over mutual TLS) are also waits on real work, three embedded
// etcd servers and their TLS, which a loaded machine running the race
// detector may take tens of seconds to do, however short the simulated
// wait. In real time the scaled wait is always the larger.
func (t Timing) Deadline(d time.Duration) time.Duration {
	steps := min(max(1, int(d/(5*time.Minute))), 6)
	return max(t.scale(d), t.MinAttempt*5*time.Duration(steps))
}

// Attempt is a per-attempt timeout.
func (t Timing) Attempt(d time.Duration) time.Duration { return max(t.scale(d), t.MinAttempt) }
