package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/mattn/go-runewidth"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// barWidth is the width of the AZ and overall bars.
const barWidth = 20

// start draws the view's AZ lines and the overall line, when the first step
// reports: whatever the command printed before stays above it intact.
func (l *liveSink) start() {
	p := mpb.New(mpb.WithOutput(l.w), mpb.WithQueueLen(l.total+len(l.groups)+1))
	nameWidth := len("overall")
	for _, g := range l.groups {
		nameWidth = max(nameWidth, runewidth.StringWidth(g.name))
	}
	for _, g := range l.groups {
		g.bar = p.New(int64(g.total), mpb.BarStyle(), mpb.BarWidth(barWidth), mpb.BarPriority(g.prio),
			mpb.PrependDecorators(l.line(func() (string, string) { return l.groupName(g, nameWidth) })),
			mpb.AppendDecorators(l.line(func() (string, string) { return l.groupCounts(g) })))
	}
	overall := p.New(int64(l.total), mpb.BarStyle(), mpb.BarWidth(barWidth), mpb.BarPriority(len(l.steps)+len(l.groups)),
		mpb.PrependDecorators(l.line(func() (string, string) { return pad("overall", nameWidth), "" })),
		mpb.AppendDecorators(l.line(l.overallCounts)))
	l.mu.Lock()
	l.p, l.overall = p, overall
	l.mu.Unlock()
}

// lineDecor is a decorator that cuts its text to the width left on the line
// before colouring it, so colour codes never count as width and a narrow
// terminal gets a shortened line, never a wrapped one.
type lineDecor struct {
	decor.WC
	text  func() (text, color string)
	color bool
}

func (d lineDecor) Decor(s decor.Statistics) (string, int) {
	text, color := d.text()
	text = runewidth.Truncate(text, max(s.AvailableWidth, 0), "…")
	return paint(text, color, d.color), runewidth.StringWidth(text)
}

func (l *liveSink) line(text func() (string, string)) decor.Decorator {
	return lineDecor{text: text, color: l.color}
}

// groupName leads an AZ's line: its mark and name.
func (l *liveSink) groupName(g *liveGroup, width int) (string, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case g.failed > 0:
		return pad(g.name, width), ansiRed
	case g.done == g.total:
		return pad(g.name, width), ansiGreen
	}
	return pad(g.name, width), ""
}

func (l *liveSink) groupCounts(g *liveGroup) (string, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := fmt.Sprintf("%d/%d done", g.done, g.total)
	if g.failed > 0 {
		return s + fmt.Sprintf(", %d failed or blocked", g.failed), ansiRed
	}
	return s, ""
}

// stepLine is a step in flight: stage, target, elapsed, what it waits on,
// retries; a failed step's line keeps its mark and the failure.
func (l *liveSink) stepLine(s *liveStep) (string, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	end := s.ended
	if end.IsZero() {
		end = time.Now()
	}
	mark, color, msg := "…", ansiDim, s.msg
	if s.err != "" {
		mark, color, msg = "✗", ansiRed, s.err
	}
	b := strings.Builder{}
	fmt.Fprintf(&b, "  %s %s %s %6s", mark, pad(s.key.Stage, s.group.stageWidth), pad(s.key.Target, s.group.nameWidth), elapsed(end.Sub(s.started)))
	if s.retries > 0 {
		fmt.Fprintf(&b, " ↻%d", s.retries)
	}
	if msg != "" {
		b.WriteString("  " + oneLine(msg))
	}
	return b.String(), color
}

// overallCounts is the run's progress and, from the rate observed so far,
// an estimate of the time left; once the view stops, how long it took.
func (l *liveSink) overallCounts() (string, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := fmt.Sprintf("%d/%d targets done", l.done, l.total)
	color := ""
	if l.failed > 0 {
		s += fmt.Sprintf(", %d failed or blocked", l.failed)
		color = ansiRed
	}
	finished := l.done + l.failed
	switch {
	case l.first.IsZero():
	case !l.end.IsZero() || finished == l.total:
		end := l.end
		if end.IsZero() {
			end = time.Now()
		}
		s += " in " + elapsed(end.Sub(l.first))
	case finished == 0:
		s += ", estimating the time left"
	default:
		spent := time.Since(l.first)
		left := time.Duration(float64(spent) * float64(l.total-finished) / float64(finished))
		s += ", about " + elapsed(left) + " left"
	}
	if color == "" && l.done == l.total {
		color = ansiGreen
	}
	return s, color
}

// elapsed is d to the second, as a person reads a clock.
func elapsed(d time.Duration) string {
	return max(d, 0).Round(time.Second).String()
}

// pad fills s with spaces to width columns.
func pad(s string, width int) string {
	return runewidth.FillRight(s, width)
}
