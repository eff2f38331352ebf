package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode"

	"github.com/charmbracelet/x/ansi"

	"github.com/tripod-dev/tripod/internal/run"
)

// isTerminal reports whether w is a character device (a terminal): colour
// and symbols there, plain lines in CI logs.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// useColor reports whether output to w may carry ANSI colour: only on a
// terminal, and not when the user said no: NO_COLOR set to anything
// (no-color.org) or TERM=dumb (a terminal that cannot render escapes, such
// as an editor's shell buffer).
func useColor(w io.Writer) bool {
	if os.Getenv("NO_COLOR") != "" || dumbTerminal() {
		return false
	}
	return isTerminal(w)
}

// dumbTerminal reports TERM=dumb: a terminal that cannot move its cursor,
// so it gets plain lines, not the live view.
func dumbTerminal() bool { return os.Getenv("TERM") == "dumb" }

// textSink renders run events as one line each, each led by the event's
// UTC time to the second: what a CI log or a pipe gets.
type textSink struct {
	w       io.Writer
	color   bool
	verbose bool
}

const (
	ansiReset  = "\x1b[0m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiDim    = "\x1b[2m"
)

func (t *textSink) Emit(e run.Event) {
	mark, color, msg, ok := describe(e, t.verbose)
	if !ok {
		return
	}
	at := e.Time
	if at.IsZero() {
		at = time.Now()
	}
	line := fmt.Sprintf("%s %s %s/%s: %s", at.UTC().Format(time.RFC3339), mark, e.Stage, e.Target, oneLine(msg))
	fmt.Fprintln(t.w, paint(line, color, t.color))
}

// describe is how a plain line shows event e: its mark, colour and
// message; ok is false for an event that gets no line.
func describe(e run.Event, verbose bool) (mark, color, msg string, ok bool) {
	switch e.Kind {
	case run.EventStart:
		if !verbose {
			return "", "", "", false
		}
		return "…", "", "started", true
	case run.EventProgress:
		return "…", ansiDim, e.Message, true
	case run.EventRetry:
		return "↻", ansiDim, fmt.Sprintf("retrying %s (attempt %d failed): %s", e.API, e.Attempt, e.Error), true
	case run.EventMutation:
		return "→", ansiYellow, e.Message, true
	case run.EventPlanned:
		return "+", ansiYellow, "would " + e.Message, true
	case run.EventSkip:
		if e.Message == "" && !verbose {
			return "", "", "", false
		}
		return "=", ansiDim, orDefault(e.Message, "nothing to do"), true
	case run.EventDone:
		msg = fmt.Sprintf("done in %s", e.Duration.Round(time.Millisecond))
		if e.Message != "" {
			msg = e.Message + "; " + msg
		}
		return "✓", ansiGreen, msg, true
	case run.EventFail:
		return "✗", ansiRed, e.Error, true
	case run.EventBlocked:
		return "✗", ansiRed, "blocked: " + e.Message, true
	case run.EventWarn:
		return "!", ansiYellow, "warning: " + e.Message, true
	}
	// run-start, run-end and stage-start: the summary says how the run ended.
	return "", "", "", false
}

// paint wraps s in colour when on is true.
func paint(s, color string, on bool) string {
	if !on || color == "" {
		return s
	}
	return color + s + ansiReset
}

// oneLine makes s one line without control characters: escape sequences
// go, a remote error's newlines and tabs become spaces, other control
// characters are dropped, so a line never moves a terminal's cursor or
// splits in a CI log.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, ansi.Strip(s))
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
