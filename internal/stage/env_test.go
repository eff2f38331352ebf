package stage

import (
	"testing"

	"github.com/tripod-dev/tripod/internal/retry"
)

// TestNewEnvFillsDefaults: a zero Timing is real time, and a run always
// has a retry counter, so no stage meets a nil one.
func TestNewEnvFillsDefaults(t *testing.T) {
	e := NewEnv(Deps{})
	if e.Timing != retry.RealTime || e.Retries == nil || e.Dialer != nil {
		t.Errorf("NewEnv(Deps{}): timing %+v, retries %v, dialer %v; want real time, a counter, no dialer",
			e.Timing, e.Retries, e.Dialer)
	}
	c := &retry.Counter{}
	if e := NewEnv(Deps{Timing: retry.Scaled(0.5), Retries: c}); e.Timing != retry.Scaled(0.5) || e.Retries != c {
		t.Error("NewEnv replaced a timing or counter it was given")
	}
}
