// Package crashpoint lets the crash tests kill tripod at an exact point of a
// run: after an intent is journaled and before its call, after a call and
// before its result is recorded, in the middle of a wait. Each Hit counts;
// when TRIPOD_CRASH_AT=N is set, the N-th hit kills the process with
// SIGKILL, as a dying laptop or CI runner would, with no chance to clean up.
// Without the variable a hit is one atomic add.
package crashpoint

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// Env names the variable that arms the crash.
const Env = "TRIPOD_CRASH_AT"

// EnvLog names a file each hit is appended to (point and count), so a test
// can list a run's points before choosing where to kill it.
const EnvLog = "TRIPOD_CRASH_LOG"

var (
	once    sync.Once
	armed   bool
	target  int64  // global count to die at, or
	prefix  string // a point-name prefix and
	nth     int64  // the hit of it to die at
	logf    *os.File
	count   atomic.Int64
	matched atomic.Int64
	mu      sync.Mutex
)

func setup() {
	if v := os.Getenv(Env); v != "" {
		armed = true
		if name, k, ok := strings.Cut(v, "#"); ok {
			prefix = name
			nth, _ = strconv.ParseInt(k, 10, 64)
		} else {
			target, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	if p := os.Getenv(EnvLog); p != "" {
		logf, _ = os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	}
}

// Hit marks one crash point named point.
func Hit(point string) {
	once.Do(setup)
	if !armed && logf == nil {
		return
	}
	n := count.Add(1)
	if logf != nil {
		mu.Lock()
		fmt.Fprintf(logf, "%d %s\n", n, point)
		logf.Sync()
		mu.Unlock()
	}
	die := target > 0 && n == target
	if prefix != "" && strings.HasPrefix(point, prefix) {
		die = matched.Add(1) == nth
	}
	if die {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is on its way
	}
}
