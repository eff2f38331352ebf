package stage

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// crashAt is a crash hook that kills the step passing the n-th hit of
// point (a prefix of the gate's point names), once: in process, the
// step's panic is the runner's failure of that target, as a killed
// process is the end of every step it ran.
func crashAt(point string, n int) (run.Runner, *bool) {
	var mu sync.Mutex
	hits, hit := 0, false
	return run.Runner{Until: Harden, Pools: Pools, Crash: func(p string) {
		if !strings.HasPrefix(p, point) {
			return
		}
		mu.Lock()
		hits++
		fire := hits == n && !hit
		if fire {
			hit = true
		}
		mu.Unlock()
		if fire {
			panic("killed at " + p)
		}
	}}, &hit
}

// TestHardenResumesAfterCrashes: a run killed after writing a host's sshd
// drop-in (not reloaded), one killed with half the firewall rules in place,
// and one killed right after enabling the firewall (before its check) are
// each resumed by the next run, which is never locked out: it ends with
// SSH only, keys only, and a run after it changes nothing.
func TestHardenResumesAfterCrashes(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml")
	rep, err := tw.up(Health)
	requireClean(t, rep, err)
	for _, c := range []struct {
		point string
		n     int
	}{{"after-call write", 1}, {"after-call add", 3}, {"after-call enable", 1}} {
		r, hit := crashAt(c.point, c.n)
		tw.Env = tw.fresh()
		r.Stages = List(tw.Env)
		rep, _ := r.Run(context.Background())
		if !*hit {
			t.Fatalf("the run never passed %s #%d: %v", c.point, c.n, rep.Mutations())
		}
	}
	tw.Env = tw.fresh()
	rep, err = tw.up(Harden)
	requireClean(t, rep, err)
	checkPublicExposure(t, tw, operatorSource, "22/tcp")
	checkPublicExposure(t, tw, strangerSource, "22/tcp")
	tw.Env = tw.fresh()
	tw.Converged(t, "the run after the resumed one", func() *run.Report {
		rep, err := tw.up(Harden)
		requireClean(t, rep, err)
		return rep
	})
}

// TestHardenDoesNotLockItselfOut: allowed sources that leave out where
// tripod connects from would close SSH behind it. The check after enabling
// sees a new connection fail; tripod turns the firewall off again through
// the connection still open, says so, and the hosts still answer SSH.
func TestHardenDoesNotLockItselfOut(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml", withProfile(simcore.Instant, 0.01)) // DROPs time out at the scaled SYN timeout
	tw.Env = newEnvFor(t, tw, labWithSources(t, "192.0.2.0/24"))
	rep, err := tw.up(Harden)
	if err == nil {
		t.Fatal("a run that closed SSH to itself succeeded")
	}
	var failure string
	for _, s := range rep.Steps {
		if s.Key.Stage == Harden && s.Key.Target == hardenDatacenter {
			if s.Err != nil {
				failure = s.Err.Error()
			}
		}
	}
	if !strings.Contains(failure, "turned the datacenter firewall off again") || !strings.Contains(failure, "access.allowedSources") {
		t.Fatalf("harden/datacenter failed with %q", failure)
	}
	for host, ex := range exposureOf(t, tw, operatorSource) {
		if len(ex.Accepts) == 0 || ex.Accepts[0] != "22/tcp" {
			t.Errorf("after the failed run, %s accepts %v from tripod", host, ex.Accepts)
		}
	}
	tw.Env = newEnvFor(t, tw, tw.Inv)
	rep, err = tw.up(Harden)
	requireClean(t, rep, err)
	checkPublicExposure(t, tw, operatorSource, "22/tcp")
}

// TestHardenChangingSourcesNeverLocksItselfOut: on a cluster whose
// firewall is already on, allowed sources that leave out where tripod
// connects from are found by the check after the rules change, and tripod
// turns the firewall off again through its open connection instead of
// reporting success with every host closed to it; and a run killed after
// the first change of a correct new range (with the firewall on) leaves
// tripod its way in, because new rules are added before old ones go.
// (Both locked tripod out: the first run succeeded, the next failed at os
// on every host.)
func TestHardenChangingSourcesNeverLocksItselfOut(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml", withProfile(simcore.Instant, 0.01)) // DROPs time out at the scaled SYN timeout
	rep, err := tw.up(Harden)
	requireClean(t, rep, err)

	tw.Env = newEnvFor(t, tw, labWithSources(t, "192.0.2.0/24"))
	rep, err = tw.up(Harden)
	if err == nil {
		t.Fatal("a run on a hardened cluster that closed SSH to itself succeeded")
	}
	if f := datacenterFailure(rep); !strings.Contains(f, "after changing the firewall rules") || !strings.Contains(f, "turned the datacenter firewall off again") {
		t.Fatalf("harden/datacenter failed with %q", f)
	}
	for host, ex := range exposureOf(t, tw, operatorSource) {
		if len(ex.Accepts) == 0 {
			t.Errorf("locked out: after the failed run %s accepts nothing from tripod's %s", host, operatorSource)
		}
	}

	for _, point := range []string{"after-call add", "after-call delete"} {
		tw.Env = newEnvFor(t, tw, tw.Inv)
		rep, err = tw.up(Harden)
		requireClean(t, rep, err)
		tw.Env = newEnvFor(t, tw, labWithSources(t, "203.0.113.0/24"))
		r, hit := crashAt(point, 1)
		r.Stages = List(tw.Env)
		rep, _ = r.Run(context.Background())
		if !*hit {
			t.Fatalf("the run never passed %s: %v", point, rep.Mutations())
		}
		for host, ex := range exposureOf(t, tw, operatorSource) {
			if !slices.Contains(ex.Accepts, "22/tcp") {
				t.Errorf("killed at %s: %s accepts %v from tripod's %s", point, host, ex.Accepts, operatorSource)
			}
		}
		tw.Env = newEnvFor(t, tw, labWithSources(t, "203.0.113.0/24"))
		rep, err = tw.up(Harden)
		requireClean(t, rep, err)
		checkPublicExposure(t, tw, operatorSource, "22/tcp", "8006/tcp")
		checkPublicExposure(t, tw, strangerSource)
	}
}

// datacenterFailure is harden/datacenter's error in rep, or "".
func datacenterFailure(rep *run.Report) string {
	for _, s := range rep.Steps {
		if s.Key.Stage == Harden && s.Key.Target == hardenDatacenter && s.Err != nil {
			return s.Err.Error()
		}
	}
	return ""
}
