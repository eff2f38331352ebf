package cli

import (
	"io"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"

	"github.com/tripod-dev/tripod/internal/run"
)

// liveSink draws a run on a terminal as it goes: a line per AZ (its
// targets done out of its total), under it a line per target in flight,
// grouped by stage (elapsed, what it waits on, retries, a mark on failure),
// and an overall line with an estimate of the time left. Warnings and
// failures print above the view. mpb owns the drawing: it redraws in place
// and truncates each line to the terminal's width at every refresh.
type liveSink struct {
	w     io.Writer
	color bool
	plain *textSink // what events get once the view is stopped

	mu      sync.Mutex
	steps   map[run.Key]*liveStep
	groups  []*liveGroup
	total   int
	done    int // finished with nothing left to do or done
	failed  int // failed, blocked or canceled
	first   time.Time
	end     time.Time
	p       *mpb.Progress // nil until the first step reports
	overall *mpb.Bar
	stopped bool
}

// liveStep is one step the run will take, as the view knows it.
type liveStep struct {
	key     run.Key
	group   *liveGroup
	prio    int // its line's place: after its AZ's, in stage order
	started time.Time
	ended   time.Time
	msg     string // the latest condition waited on, or the change sent
	retries int
	err     string // set when it failed
	bar     *mpb.Bar
}

// liveGroup is an AZ, or "cluster" for cluster-wide steps.
type liveGroup struct {
	name                  string
	prio                  int
	total, done, failed   int
	bar                   *mpb.Bar
	stageWidth, nameWidth int
}

// clusterGroup names the group of steps that have no AZ.
const clusterGroup = "cluster"

// liveView makes the live view the session's human sink when up's human
// output w is a terminal that can move its cursor (not TERM=dumb, not
// --output json), and returns it; nil leaves the plain lines.
func (ss *session) liveView(w io.Writer, until string) *liveSink {
	if ss.flags.output == "json" || !isTerminal(w) || dumbTerminal() {
		return nil
	}
	l := newLiveSink(w, ss.runner(until, false).Stages, until, ss.flags.verbose)
	if l != nil {
		ss.setHuman(l)
	}
	return l
}

// newLiveSink lays out the view of a run of stages (up to until, as the
// runner selects them) on the terminal w. The steps and their AZs come from
// the stages' targets, which the runner lists the same way from the
// inventory; nil when until names no stage (the runner reports that).
func newLiveSink(w io.Writer, stages []run.Stage, until string, verbose bool) *liveSink {
	sel, ok := selectStages(stages, until)
	if !ok {
		return nil
	}
	color := useColor(w)
	l := &liveSink{w: w, color: color, plain: &textSink{w: w, color: color, verbose: verbose}, steps: map[run.Key]*liveStep{}}
	byName := map[string]*liveGroup{}
	var order []*liveStep
	for _, st := range sel {
		for _, t := range st.Targets() {
			name := t.Placement
			if name == "" {
				name = clusterGroup
			}
			g := byName[name]
			if g == nil {
				g = &liveGroup{name: name}
				byName[name] = g
				l.groups = append(l.groups, g)
			}
			g.total++
			g.stageWidth = max(g.stageWidth, len(st.Name()))
			g.nameWidth = max(g.nameWidth, len(t.ID))
			s := &liveStep{key: run.On(st.Name(), t.ID), group: g}
			l.steps[s.key] = s
			order = append(order, s)
		}
	}
	l.total = len(order)
	// Each AZ's line, then its steps in stage order: mpb draws lower
	// priorities higher up.
	prio := 0
	for _, g := range l.groups {
		g.prio = prio
		prio++
		for _, s := range order {
			if s.group == g {
				s.prio = prio
				prio++
			}
		}
	}
	return l
}

// selectStages is the runner's selection: the stages up to until.
func selectStages(stages []run.Stage, until string) ([]run.Stage, bool) {
	if until == "" {
		return stages, true
	}
	for i, st := range stages {
		if st.Name() == until {
			return stages[:i+1], true
		}
	}
	return nil, false
}

// Emit updates the view. The runner calls it from one goroutine at a time;
// mpb is called outside the lock, since its drawing reads the state.
func (l *liveSink) Emit(e run.Event) {
	if e.Kind == run.EventRunStart || e.Kind == run.EventRunEnd || e.Kind == run.EventStageStart {
		return
	}
	l.mu.Lock()
	if l.stopped {
		l.mu.Unlock()
		l.plain.Emit(e)
		return
	}
	fresh := l.p == nil
	s := l.steps[run.On(e.Stage, e.Target)]
	l.mu.Unlock()
	if fresh {
		l.start()
	}
	if s == nil { // not a step of this run's layout: a plain line above
		l.above(e)
		return
	}
	switch e.Kind {
	case run.EventStart:
		l.started(s, e.Time)
	case run.EventProgress, run.EventMutation, run.EventPlanned:
		l.update(func() { s.msg = e.Message })
	case run.EventRetry:
		l.update(func() { s.retries++ })
	case run.EventDone, run.EventSkip:
		l.finished(s, e.Time, "")
	case run.EventFail, run.EventBlocked:
		_, _, msg, _ := describe(e, false)
		l.finished(s, e.Time, msg)
		if e.Kind == run.EventFail {
			l.above(e)
		}
	case run.EventWarn:
		l.above(e)
	}
}

func (l *liveSink) update(f func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f()
}

// started gives a step its line under its AZ.
func (l *liveSink) started(s *liveStep, at time.Time) {
	l.mu.Lock()
	s.started = at
	if l.first.IsZero() {
		l.first = at
	}
	l.mu.Unlock()
	bar := l.p.New(1, mpb.NopStyle(), mpb.BarFillerTrim(), mpb.BarPriority(s.prio), mpb.BarRemoveOnComplete(),
		mpb.PrependDecorators(l.line(func() (string, string) { return l.stepLine(s) })))
	l.update(func() { s.bar = bar })
}

// finished counts a step as done (msg "") or failed: a done step's line
// goes, a failed one's stays with its mark until the end of the run.
func (l *liveSink) finished(s *liveStep, at time.Time, msg string) {
	l.mu.Lock()
	s.ended, s.err = at, msg
	if msg == "" {
		l.done++
		s.group.done++
	} else {
		l.failed++
		s.group.failed++
	}
	bar, gbar, gdone, done := s.bar, s.group.bar, s.group.done, l.done
	l.mu.Unlock()
	if msg == "" && bar != nil {
		bar.Increment()
	}
	gbar.SetCurrent(int64(gdone))
	l.overall.SetCurrent(int64(done))
}

// above prints e's plain line above the view, where it stays.
func (l *liveSink) above(e run.Event) {
	mark, color, msg, ok := describe(e, false)
	if !ok {
		return
	}
	line := paint(mark+" "+e.Stage+"/"+e.Target+": "+oneLine(msg), color, l.color) + "\n"
	if _, err := l.p.Write([]byte(line)); err != nil {
		io.WriteString(l.w, line)
	}
}

// stop draws the final view and ends it; events after it print as plain
// lines. It is safe to call more than once, and on nil.
func (l *liveSink) stop() {
	if l == nil {
		return
	}
	l.mu.Lock()
	if l.stopped {
		l.mu.Unlock()
		return
	}
	l.stopped, l.end = true, time.Now()
	p := l.p
	var bars []*mpb.Bar
	for _, s := range l.steps {
		if s.bar != nil {
			bars = append(bars, s.bar)
		}
	}
	for _, g := range l.groups {
		bars = append(bars, g.bar)
	}
	bars = append(bars, l.overall)
	l.mu.Unlock()
	if p == nil {
		return
	}
	// A bar left short (a failure, an interrupted run) stays drawn as it is.
	for _, b := range bars {
		b.Abort(false)
	}
	p.Wait()
}
