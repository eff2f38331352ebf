package cli

import (
	"os"
	"testing"
)

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
