package cli

import (
	"fmt"
	"io"
	"os"
	"time"

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
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	return isTerminal(w)
}

// textSink renders run events as one line each.
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
	var mark, color, msg string
	switch e.Kind {
	case run.EventStart:
		if !t.verbose {
			return
		}
		mark, msg = "…", "started"
	case run.EventRunStart, run.EventRunEnd, run.EventStageStart:
		return // the summary says how the run ended
	case run.EventProgress:
		mark, color, msg = "…", ansiDim, e.Message
	case run.EventRetry:
		mark, color, msg = "↻", ansiDim, fmt.Sprintf("retrying %s (attempt %d failed): %s", e.API, e.Attempt, e.Error)
	case run.EventMutation:
		mark, color, msg = "→", ansiYellow, e.Message
	case run.EventPlanned:
		mark, color, msg = "+", ansiYellow, "would "+e.Message
	case run.EventSkip:
		if e.Message == "" && !t.verbose {
			return
		}
		mark, color, msg = "=", ansiDim, orDefault(e.Message, "nothing to do")
	case run.EventDone:
		mark, color, msg = "✓", ansiGreen, fmt.Sprintf("done in %s", e.Duration.Round(time.Millisecond))
		if e.Message != "" {
			msg = e.Message + "; " + msg
		}
	case run.EventFail:
		mark, color, msg = "✗", ansiRed, e.Error
	case run.EventBlocked:
		mark, color, msg = "✗", ansiRed, "blocked: "+e.Message
	case run.EventWarn:
		mark, color, msg = "!", ansiYellow, "warning: "+e.Message
	default:
		return
	}
	if !t.color {
		color = ""
	}
	reset := ""
	if color != "" {
		reset = ansiReset
	}
	fmt.Fprintf(t.w, "%s%s %s/%s: %s%s\n", color, mark, e.Stage, e.Target, msg, reset)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
