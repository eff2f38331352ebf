// Package crashpoint lets the crash tests kill tripod at an exact point of a
// run: after an intent is journaled and before its call, after a call and
// before its result is recorded, in the middle of a wait. The places that
// pass such a point (the runner's gate, the journal, a wait) call a Hook they
// were given; the zero Hook does nothing, so production code pays one nil
// check per point. The CLI builds the one hook of a process from
// TRIPOD_CRASH_AT and TRIPOD_CRASH_LOG (FromEnv): each hit counts, and the
// chosen hit kills the process with SIGKILL, as a dying laptop or CI runner
// would, with no chance to clean up.
package crashpoint

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Env names the variable that arms the crash: N (the N-th hit of any
// point) or NAME#K (the K-th hit of a point whose name starts with NAME).
const Env = "TRIPOD_CRASH_AT"

// EnvLog names a file each hit is appended to (point and count), so a test
// can list a run's points before choosing where to kill it.
const EnvLog = "TRIPOD_CRASH_LOG"

// Hook is told each crash point a run passes, by name ("before-call order").
// The nil Hook ignores them.
type Hook func(point string)

// Hit marks one crash point named point.
func (h Hook) Hit(point string) {
	if h != nil {
		h(point)
	}
}

// FromEnv builds the hook the variables Env and EnvLog ask for, read through
// getenv (os.Getenv), or nil when neither is set. A log file that cannot be
// opened is no log, as a crash test then sees no points.
func FromEnv(getenv func(string) string) Hook {
	at, logPath := getenv(Env), getenv(EnvLog)
	if at == "" && logPath == "" {
		return nil
	}
	k := newKiller(at, killProcess)
	if logPath != "" {
		k.log, _ = os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	}
	return k.hit
}

// newKiller parses at (N or NAME#K; "" arms nothing) into a killer that
// calls kill at the chosen hit.
func newKiller(at string, kill func()) *killer {
	k := &killer{kill: kill}
	if name, n, ok := strings.Cut(at, "#"); ok {
		k.prefix = name
		k.nth, _ = strconv.ParseInt(n, 10, 64)
	} else {
		k.target, _ = strconv.ParseInt(at, 10, 64)
	}
	return k
}

// killProcess is SIGKILL to this process: no deferred call, no cleanup.
func killProcess() {
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // the signal is on its way
}

// killer counts hits and kills the process at the chosen one.
type killer struct {
	target int64  // the count of all hits to die at, or
	prefix string // a point-name prefix and
	nth    int64  // the hit of it to die at
	log    *os.File
	kill   func()

	mu      sync.Mutex
	count   int64
	matched int64
}

func (k *killer) hit(point string) {
	k.mu.Lock()
	k.count++
	n := k.count
	if k.log != nil {
		fmt.Fprintf(k.log, "%d %s\n", n, point)
		k.log.Sync()
	}
	die := k.target > 0 && n == k.target
	if k.prefix != "" && strings.HasPrefix(point, k.prefix) {
		k.matched++
		die = k.matched == k.nth
	}
	k.mu.Unlock()
	if die {
		k.kill()
	}
}

type ctxKey struct{}

// WithHook returns ctx carrying h, for the waits under it (a wait is told
// its context, not its runner).
func WithHook(ctx context.Context, h Hook) context.Context {
	if h == nil {
		return ctx
	}
	return context.WithValue(ctx, ctxKey{}, h)
}

// FromContext is the hook ctx carries, or the nil Hook.
func FromContext(ctx context.Context) Hook {
	h, _ := ctx.Value(ctxKey{}).(Hook)
	return h
}
