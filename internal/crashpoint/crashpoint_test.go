package crashpoint

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestFromEnvUnsetIsNil(t *testing.T) {
	if h := FromEnv(env(nil)); h != nil {
		t.Fatal("a hook without TRIPOD_CRASH_AT or TRIPOD_CRASH_LOG")
	}
	var h Hook
	h.Hit("before-call order") // the zero hook ignores points
}

func TestLogListsEveryHit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "points")
	h := FromEnv(env(map[string]string{EnvLog: p}))
	h.Hit("after-intent order")
	h.Hit("before-call order")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), "1 after-intent order\n2 before-call order\n"; got != want {
		t.Fatalf("log %q, want %q", got, want)
	}
}

// kills lists the hits at which TRIPOD_CRASH_AT=at would have killed the
// process, for a run passing points in order.
func kills(at string, points ...string) []int {
	var died []int
	var i int
	k := newKiller(at, func() { died = append(died, i) })
	for i = 1; i <= len(points); i++ {
		k.hit(points[i-1])
	}
	return died
}

func TestKillsAtTheChosenHit(t *testing.T) {
	pts := []string{"in-wait a", "before-call order", "in-wait b", "in-wait c"}
	if got := kills("3", pts...); len(got) != 1 || got[0] != 3 {
		t.Errorf("TRIPOD_CRASH_AT=3 killed at %v, want [3]", got)
	}
	if got := kills("in-wait#2", pts...); len(got) != 1 || got[0] != 3 {
		t.Errorf("TRIPOD_CRASH_AT=in-wait#2 killed at %v, want [3]", got)
	}
	if got := kills("before-record#1", pts...); len(got) != 0 {
		t.Errorf("a point never passed killed at %v", got)
	}
}

func TestContextCarriesTheHook(t *testing.T) {
	var seen []string
	ctx := WithHook(context.Background(), func(p string) { seen = append(seen, p) })
	FromContext(ctx).Hit("in-wait x")
	FromContext(context.Background()).Hit("in-wait y")
	if len(seen) != 1 || seen[0] != "in-wait x" {
		t.Fatalf("seen %v", seen)
	}
}
