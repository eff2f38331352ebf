package cli

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tripod-dev/tripod/internal/run"
)

// twoHosts is a stage with a target in each of two AZs.
type twoHosts struct{}

func (twoHosts) Name() string { return "os" }
func (twoHosts) Targets() []run.Target {
	return []run.Target{{ID: "pve-1", Placement: "az-a"}, {ID: "pve-2", Placement: "az-b"}}
}
func (twoHosts) Run(context.Context, *run.Step) error { return nil }

// TestLiveViewMarksAFailure: a step that failed after a retry keeps its
// line under its AZ, marked ✗ with the retry count and the error, its AZ
// and the overall line count it, and the failure is also printed above.
func TestLiveViewMarksAFailure(t *testing.T) {
	t.Setenv("TERM", "xterm-256color")
	t.Setenv("NO_COLOR", "1")
	tty, emu, _, done := ptyScreen(t, 80, 20)
	l := newLiveSink(tty, []run.Stage{twoHosts{}}, "", false)
	now := time.Now()
	for _, e := range []run.Event{
		{Kind: run.EventStart, Target: "pve-1"},
		{Kind: run.EventStart, Target: "pve-2"},
		{Kind: run.EventProgress, Target: "pve-1", Message: "install 62% (partitioning)"},
		{Kind: run.EventRetry, Target: "pve-1", API: "scaleway", Attempt: 1, Error: "503"},
		{Kind: run.EventDone, Target: "pve-2", Duration: time.Second},
		{Kind: run.EventFail, Target: "pve-1", Error: "install failed (status error)"},
	} {
		e.Time, e.Stage = now, "os"
		l.Emit(e)
	}
	l.stop()
	tty.Close()
	done()
	screen := emu.String()
	for _, want := range []string{
		`(?m)^✗ os/pve-1: install failed \(status error\)$`,
		`(?m)^az-a +\[[^\]]*\] 0/1 done, 1 failed or blocked$`,
		`(?m)^  ✗ os pve-1 +\d+s ↻1  install failed \(status error\)$`,
		`(?m)^az-b +\[=+\] 1/1 done$`,
		`(?m)^overall +\[[^\]]*\] 1/2 targets done, 1 failed or blocked in \d+s$`,
	} {
		if !regexp.MustCompile(want).MatchString(screen) {
			t.Errorf("the screen lacks %s:\n%s", want, screen)
		}
	}
	if strings.Contains(screen, "pve-2 ") {
		t.Errorf("the step that is done still has its line:\n%s", screen)
	}
}
