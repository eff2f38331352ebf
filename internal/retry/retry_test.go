package retry

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestTransientIsRetriedAndCounted(t *testing.T) {
	var c Counter
	n := 0
	err := Do(context.Background(), Policy{API: "proxmox", Initial: time.Millisecond, Counter: &c}, func(context.Context) error {
		n++
		if n < 3 {
			return syscall.ECONNRESET
		}
		return nil
	})
	if err != nil || n != 3 || c.Counts()["proxmox"] != 2 {
		t.Fatalf("err %v attempts %d counts %v", err, n, c.Counts())
	}
}

func TestFatalStopsAtOnce(t *testing.T) {
	n := 0
	base := errors.New("400 out of stock")
	err := Do(context.Background(), Policy{Initial: time.Millisecond}, func(context.Context) error { n++; return MarkFatal(base) })
	if n != 1 || !errors.Is(err, base) {
		t.Fatalf("attempts %d err %v", n, err)
	}
}

func TestPerAttemptTimeoutCutsAHang(t *testing.T) {
	n := 0
	start := time.Now()
	err := Do(context.Background(), Policy{PerAttempt: 20 * time.Millisecond, Initial: time.Millisecond}, func(ctx context.Context) error {
		n++
		if n == 1 {
			<-ctx.Done() // the first attempt hangs until cut
			return ctx.Err()
		}
		return nil
	})
	if err != nil || n != 2 {
		t.Fatalf("err %v attempts %d", err, n)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("the hang was not cut")
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	n := 0
	var waited time.Duration
	err := Do(context.Background(), Policy{Initial: time.Millisecond, OnRetry: func(_ int, _ error, w time.Duration) { waited = w }}, func(context.Context) error {
		n++
		if n == 1 {
			return MarkTransient(errors.New("429"), 30*time.Millisecond)
		}
		return nil
	})
	if err != nil || waited != 30*time.Millisecond {
		t.Fatalf("err %v waited %v", err, waited)
	}
}

func TestAttemptsLimitAndDeadline(t *testing.T) {
	n := 0
	err := Do(context.Background(), Policy{Attempts: 3, Initial: time.Millisecond}, func(context.Context) error { n++; return syscall.ECONNREFUSED })
	if n != 3 || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Fatalf("attempts %d err %v", n, err)
	}
	err = Do(context.Background(), Policy{Deadline: 30 * time.Millisecond, Initial: 5 * time.Millisecond}, func(context.Context) error { return syscall.ECONNREFUSED })
	if err == nil || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("deadline: %v", err)
	}
}

func TestWaitReportsProgressAndTimesOut(t *testing.T) {
	var seen []string
	n := 0
	err := Wait(context.Background(), Condition{Name: "etcd 3/3 members healthy", Interval: time.Millisecond,
		Check: func(context.Context) (bool, string, error) {
			n++
			return n >= 3, []string{"", "1/3", "2/3", "3/3"}[n], nil
		},
		Progress: func(s string) { seen = append(seen, s) }})
	if err != nil || strings.Join(seen, ",") != "1/3,2/3" {
		t.Fatalf("err %v progress %v", err, seen)
	}
	err = Wait(context.Background(), Condition{Name: "HEALTH_OK", Interval: time.Millisecond, Timeout: 20 * time.Millisecond,
		Check: func(context.Context) (bool, string, error) { return false, "HEALTH_WARN", nil }})
	if err == nil || !strings.Contains(err.Error(), "timed out waiting for HEALTH_OK (last: HEALTH_WARN)") {
		t.Fatalf("timeout: %v", err)
	}
	err = Wait(context.Background(), Condition{Name: "x", Interval: time.Millisecond,
		Check: func(context.Context) (bool, string, error) { return false, "", MarkFatal(errors.New("install failed")) }})
	if err == nil || !strings.Contains(err.Error(), "install failed") {
		t.Fatalf("fatal: %v", err)
	}
}

func TestTimingScales(t *testing.T) {
	s := Scaled(0.001)
	if got := s.Interval(15 * time.Second); got != 15*time.Millisecond {
		t.Errorf("interval %v", got)
	}
	if got := s.Attempt(30 * time.Second); got != 2*time.Second {
		t.Errorf("attempt floor %v", got)
	}
	if got := RealTime.Deadline(time.Hour); got != time.Hour {
		t.Errorf("real deadline %v", got)
	}
	// The floor of a simulated wait grows with the real one: etcd's 30
	// minutes get a minute of wall time for the real etcd work under
	// them, a 2-minute wait keeps the 10 s floor, and no floor passes a
	// minute (3 hours scaled are 10.8 s).
	for _, c := range []struct{ real, want time.Duration }{
		{2 * time.Minute, 10 * time.Second}, {10 * time.Minute, 20 * time.Second},
		{30 * time.Minute, time.Minute}, {3 * time.Hour, time.Minute},
	} {
		if got := s.Deadline(c.real); got != c.want {
			t.Errorf("deadline of a %v wait at scale 0.001: %v, want %v", c.real, got, c.want)
		}
	}
}
