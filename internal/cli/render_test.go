package cli

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/tripod-dev/tripod/internal/run"
)

// TestPlainLineIsOneTimestampedLine: an event whose remote error carries
// newlines, a tab and an escape still makes one line, led by its UTC time
// to the second, with no control character but its newline.
func TestPlainLineIsOneTimestampedLine(t *testing.T) {
	var b bytes.Buffer
	at := time.Date(2026, 5, 4, 12, 30, 15, 999, time.FixedZone("CEST", 2*3600))
	(&textSink{w: &b}).Emit(run.Event{Time: at, Kind: run.EventFail, Stage: "os", Target: "lab-pve-1",
		Error: "PVE said:\n\x1b[31mno\tspace\r\nleft\x07"})
	const want = "2026-05-04T10:30:15Z ✗ os/lab-pve-1: PVE said: no space  left\n"
	if b.String() != want {
		t.Errorf("plain line %q, want %q", b.String(), want)
	}
}

// TestColourHonoursNoColorAndDumbTerminals: on a character device (a
// terminal as isTerminal sees one; /dev/null is one too), colour is on
// unless NO_COLOR is set to anything or TERM is dumb.
func TestColourHonoursNoColorAndDumbTerminals(t *testing.T) {
	tty, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no character device to stand in for a terminal:", err)
	}
	defer tty.Close()
	if !isTerminal(tty) {
		t.Skip(os.DevNull + " is not a character device here")
	}
	for _, c := range []struct {
		noColor, term string
		want          bool
	}{
		{"", "xterm-256color", true},
		{"1", "xterm-256color", false},
		{"0", "xterm-256color", false}, // any value, as no-color.org says
		{"", "dumb", false},
	} {
		t.Setenv("NO_COLOR", c.noColor)
		t.Setenv("TERM", c.term)
		if got := useColor(tty); got != c.want {
			t.Errorf("NO_COLOR=%q TERM=%q: colour %v, want %v", c.noColor, c.term, got, c.want)
		}
	}
}
