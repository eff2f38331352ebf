package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"
	"github.com/creack/pty"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// ptyRows is the emulated terminal's height: the lab's view, the lines above
// it and the summary fit, so the final screen holds all of them.
const ptyRows = 60

// upOnTerminal runs up --until os of the lab on a fresh in-process world,
// with its stdout and stderr on a pseudo-terminal cols wide, and returns
// every byte written there and the rows of a terminal emulator fed with
// them (scrollback first, then the screen). The first OS install of
// lab-pve-2 fails, so the run warns mid-way that it reinstalls.
func upOnTerminal(t *testing.T, cols int) (raw string, rows []string) {
	t.Helper()
	w := startWorld(t)
	spec, err := simcore.ParseFaults("install-fail=lab-pve-2")
	if err != nil {
		t.Fatal(err)
	}
	w.Env.Faults.Set(spec)
	tty, emu, buf, done := ptyScreen(t, cols, ptyRows)
	code := Main([]string{"up", "-i", labInventory, "--state-dir", t.TempDir(), "--until", "os"},
		Streams{In: strings.NewReader(""), Out: tty, Err: tty})
	tty.Close()
	done()
	if code != 0 {
		t.Fatalf("up --until os on a terminal: exit %d\n%s", code, buf.String())
	}
	for _, l := range emu.Scrollback().Lines() {
		rows = append(rows, strings.TrimRight(l.String(), " "))
	}
	for _, l := range strings.Split(emu.String(), "\n") {
		rows = append(rows, strings.TrimRight(l, " "))
	}
	return buf.String(), rows
}

// ptyScreen opens a pseudo-terminal cols by rows and feeds what is written
// to tty to a terminal emulator and to buf; done waits for the last byte
// once tty is closed.
func ptyScreen(t *testing.T, cols, rows int) (tty *os.File, emu *vt.Emulator, buf *bytes.Buffer, done func()) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skip("no pseudo-terminal here:", err)
	}
	t.Cleanup(func() { ptmx.Close() })
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: uint16(rows), Cols: uint16(cols)}); err != nil {
		t.Fatal(err)
	}
	emu, buf = vt.NewEmulator(cols, rows), &bytes.Buffer{}
	// The emulator's answers to queries (none expected) must not block it;
	// it is not closed, as Close races with this read in vt v0.1.0.
	go io.Copy(io.Discard, emu)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		io.Copy(io.MultiWriter(emu, buf), ptmx) // ends with EIO once tty is closed and read
	}()
	return tty, emu, buf, func() { <-copied }
}

// viewLine matches a line of the live view (after its escapes are gone): an
// AZ's or the overall line with its bar, or a step in flight.
var viewLine = regexp.MustCompile(`^((cluster|par-dc\d|overall) +\[|  […✗] (preflight|servers|os) )`)

// TestLiveViewOnTerminal runs a short real up under a pseudo-terminal at
// widths 80 and 200 and reads the emulated screen: every line of the view
// fits the width, the view was redrawn in place (its overall line went
// through several counts, yet one is on the screen), the final screen has
// every AZ's line and the overall line all done, and the warning printed
// mid-run stands intact on its own line above the view.
func TestLiveViewOnTerminal(t *testing.T) {
	for _, c := range []struct {
		cols    int
		noColor string
	}{{80, "1"}, {200, ""}} {
		t.Run(fmt.Sprint(c.cols), func(t *testing.T) {
			t.Setenv("TERM", "xterm-256color")
			t.Setenv("NO_COLOR", c.noColor)
			raw, rows := upOnTerminal(t, c.cols)
			checkViewWidth(t, raw, c.cols)
			if c.noColor != "" && regexp.MustCompile(`\x1b\[[0-9;]*m`).MatchString(raw) {
				t.Errorf("NO_COLOR is set, yet the output carries colour")
			}
			overalls := map[string]bool{}
			for _, l := range strings.Split(ansi.Strip(raw), "\n") {
				if strings.HasPrefix(l, "overall ") {
					overalls[strings.TrimRight(l, "\r")] = true
				}
			}
			if len(overalls) < 2 { // at least a first frame and the last
				t.Errorf("the overall line was drawn %d ways, want it redrawn as the run went: %v", len(overalls), overalls)
			}
			checkFinalScreen(t, rows, c.cols)
		})
	}
}

// checkViewWidth: no line of the view in the byte stream is wider than
// the terminal; and there were lines of steps in flight.
func checkViewWidth(t *testing.T, raw string, cols int) {
	t.Helper()
	steps := 0
	for _, l := range strings.Split(raw, "\n") {
		l = ansi.Strip(strings.TrimRight(l, "\r"))
		if !viewLine.MatchString(l) {
			continue
		}
		if strings.HasPrefix(l, "  ") {
			steps++
		}
		if w := ansi.StringWidth(l); w > cols {
			t.Errorf("a line of the view is %d columns wide on a terminal of %d: %q", w, cols, l)
		}
	}
	if steps == 0 {
		t.Errorf("no step in flight was ever drawn:\n%s", raw)
	}
}

// checkFinalScreen: one line per AZ and one overall line, all done, below
// the warning, which is whole on its own line (wrapped rows joined).
func checkFinalScreen(t *testing.T, rows []string, cols int) {
	t.Helper()
	want := map[string]*regexp.Regexp{
		"cluster": regexp.MustCompile(`^cluster +\[=+\] 3/3 done$`),
		"par-dc2": regexp.MustCompile(`^par-dc2 +\[=+\] 2/2 done$`),
		"par-dc3": regexp.MustCompile(`^par-dc3 +\[=+\] 2/2 done$`),
		"par-dc5": regexp.MustCompile(`^par-dc5 +\[=+\] 2/2 done$`),
		"overall": regexp.MustCompile(`^overall +\[=+\] 9/9 targets done in \d+s$`),
	}
	screen := strings.Join(rows, "\n")
	first := len(rows)
	for name, re := range want {
		var at []int
		line := regexp.MustCompile(`^` + name + ` +\[`)
		for i, r := range rows {
			if line.MatchString(r) {
				at = append(at, i)
			}
		}
		if len(at) != 1 || !re.MatchString(rows[at[0]]) {
			t.Errorf("want one %s line matching %s on the screen, got rows %v:\n%s", name, re, at, screen)
			continue
		}
		first = min(first, at[0])
	}
	warn := regexp.MustCompile(`^! os/lab-pve-2: warning: install of Proxmox VE on server \d+ \(lab-pve-2\) failed \(status [a-z_]+\); reinstalling \(2 of 3\)$`)
	found := false
	for i := 0; i < len(rows); i++ {
		if !strings.HasPrefix(rows[i], "! os/lab-pve-2: warning:") {
			continue
		}
		line, at := rows[i], i
		for ansi.StringWidth(rows[i]) == cols && i+1 < len(rows) { // wrapped: it goes on below
			i++
			line += rows[i]
		}
		found = true
		if !warn.MatchString(line) || at > first {
			t.Errorf("the warning is not whole on its own line above the view: row %d %q\n%s", at, line, screen)
		}
	}
	if !found {
		t.Errorf("the warning printed mid-run is not on the screen:\n%s", screen)
	}
}

// TestDumbTerminalGetsPlainLines: TERM=dumb cannot move its cursor, so up
// writes the plain timestamped lines there, without one escape.
func TestDumbTerminalGetsPlainLines(t *testing.T) {
	t.Setenv("TERM", "dumb")
	t.Setenv("NO_COLOR", "")
	raw, _ := upOnTerminal(t, 80)
	if i := strings.IndexByte(raw, '\x1b'); i >= 0 {
		t.Errorf("an escape at byte %d on a dumb terminal: %q", i, raw[max(i-40, 0):min(i+40, len(raw))])
	}
	done := regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ✓ os/lab-pve-2: `)
	if !done.MatchString(raw) {
		t.Errorf("want plain timestamped lines:\n%s", raw)
	}
	for _, l := range strings.Split(raw, "\n") {
		if viewLine.MatchString(ansi.Strip(l)) {
			t.Errorf("a line of the live view on a dumb terminal: %q", l)
		}
	}
}
