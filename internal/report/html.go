package report

import (
	"fmt"
	"io"
	"time"

	"github.com/tripod-dev/tripod/internal/run"
)

// Geometry of the timeline, in SVG user units (pixels at 100%).
const (
	labelWidth = 300
	chartWidth = 900
	rowHeight  = 16
	barHeight  = 11
	axisHeight = 24
)

type bar struct {
	Key, Label     string
	Status         string
	Critical       bool
	X, Y, W, TextY float64
	Title          string
}

type tick struct {
	X     float64
	Label string
}

type page struct {
	Input
	Width, Height   float64
	ChartX, ChartW  float64
	Bars            []bar
	Ticks           []tick
	Stages          []stageBand
	Critical        []string
	Calls           []callRow
	Failures        []failure
	TookText, Start string
}

type stageBand struct {
	Name, Class  string
	Y, H, LabelY float64
}

type callRow struct {
	API                      string
	Requests, Retries, Polls int
}

type failure struct{ Key, Status, Message string }

// WriteHTML writes report.html: one self-contained page (inline CSS and
// SVG, no script, nothing fetched) that opens offline.
func WriteHTML(w io.Writer, in Input) error {
	return pageTemplate.Execute(w, layout(in))
}

func layout(in Input) page {
	t0, t1 := in.span()
	total := t1.Sub(t0)
	if total <= 0 {
		total = time.Millisecond
	}
	scale := chartWidth / float64(total)
	crit := map[run.Key]bool{}
	p := page{Input: in, ChartX: labelWidth, ChartW: chartWidth, TookText: in.Took.Round(time.Millisecond).String()}
	for _, k := range CriticalPath(in.Report.Steps) {
		crit[k] = true
		p.Critical = append(p.Critical, k.String())
	}
	y := float64(axisHeight)
	stage := ""
	for _, s := range in.Report.Steps {
		if s.Key.Stage != stage {
			stage = s.Key.Stage
			p.Stages = append(p.Stages, stageBand{Name: stage, Class: fmt.Sprintf("band-%d", len(p.Stages)%2), Y: y, LabelY: y + 12})
		}
		b := bar{Key: s.Key.String(), Label: truncate(s.Key.Target, 28), Status: string(s.Status), Critical: crit[s.Key], Y: y + (rowHeight-barHeight)/2, TextY: y + rowHeight - 4}
		if s.Started.IsZero() {
			// Never started (blocked): a thin mark at the end of its
			// latest need, so the row still shows where it stopped.
			b.X, b.W = labelWidth+needsEnd(s, in.Report.Steps, t0, scale), 2
			b.Title = fmt.Sprintf("%s: %s, %s", b.Key, s.Status, message(s))
		} else {
			b.X = labelWidth + float64(s.Started.Sub(t0))*scale
			b.W = max(float64(s.Duration)*scale, 1)
			b.Title = fmt.Sprintf("%s: %s, +%s for %s", b.Key, s.Status, s.Started.Sub(t0).Round(time.Millisecond), s.Duration.Round(time.Millisecond))
		}
		p.Bars = append(p.Bars, b)
		y += rowHeight
	}
	for i := range p.Stages {
		next := y
		if i+1 < len(p.Stages) {
			next = p.Stages[i+1].Y
		}
		p.Stages[i].H = next - p.Stages[i].Y
	}
	p.Width, p.Height = labelWidth+chartWidth+20, y+4
	step := tickStep(total)
	for t := time.Duration(0); t <= total; t += step {
		p.Ticks = append(p.Ticks, tick{X: labelWidth + float64(t)*scale, Label: t.Round(time.Millisecond).String()})
	}
	for _, api := range run.APIs(in.Report.Calls) {
		c := in.Report.Calls[api]
		p.Calls = append(p.Calls, callRow{API: api, Requests: c.Requests, Retries: c.Retries, Polls: c.Polls})
	}
	for _, f := range in.failures() {
		p.Failures = append(p.Failures, failure{Key: f.Key.String(), Status: string(f.Status), Message: message(f)})
	}
	if !t0.IsZero() {
		p.Start = t0.UTC().Format(time.RFC3339)
	}
	return p
}

// needsEnd is where a step that never started stops on the time axis: the
// latest end among its needs that ran.
func needsEnd(s run.StepResult, steps []run.StepResult, t0 time.Time, scale float64) float64 {
	var latest time.Time
	for _, o := range steps {
		for _, k := range s.Needs {
			if o.Key == k && !o.Started.IsZero() && end(o).After(latest) {
				latest = end(o)
			}
		}
	}
	if latest.IsZero() {
		return 0
	}
	return float64(latest.Sub(t0)) * scale
}

// tickStep is a round interval giving about eight ticks over total.
func tickStep(total time.Duration) time.Duration {
	for _, d := range []time.Duration{time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond, 50 * time.Millisecond,
		100 * time.Millisecond, 500 * time.Millisecond, time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second,
		time.Minute, 5 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour} {
		if total/d <= 10 {
			return d
		}
	}
	return time.Hour
}

// truncate keeps a label inside the label column.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
