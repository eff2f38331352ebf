package report

import (
	"time"

	"github.com/tripod-dev/tripod/internal/run"
)

// CriticalPath is the chain of needs that ended last, from its first step
// to the step that ended the run, computed from the steps' needs and their
// start and end times:
//
//  1. the path ends at the step that ended last;
//  2. a step's predecessor is, among its needs that ran, the one that ended
//     last: the one it could not start before, since a step starts as soon
//     as its last need is done (a wait for a concurrency pool is not a need,
//     so the chain stops at a step none of whose needs held it back);
//  3. the path starts at a step with no need that ran.
//
// Shortening any step off this chain cannot end the run sooner; shortening
// one on it can. Steps that never started (blocked, canceled before they
// ran) are not on it.
func CriticalPath(steps []run.StepResult) []run.Key {
	byKey := map[run.Key]run.StepResult{}
	var last *run.StepResult
	for i := range steps {
		s := steps[i]
		if s.Started.IsZero() {
			continue
		}
		byKey[s.Key] = s
		if last == nil || end(s).After(end(*last)) {
			last = &steps[i]
		}
	}
	if last == nil {
		return nil
	}
	var path []run.Key
	seen := map[run.Key]bool{}
	for cur, ok := *last, true; ok && !seen[cur.Key]; {
		seen[cur.Key] = true
		path = append(path, cur.Key)
		cur, ok = latestNeed(cur, byKey)
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	return path
}

// latestNeed is the need of s that ran and ended last.
func latestNeed(s run.StepResult, byKey map[run.Key]run.StepResult) (run.StepResult, bool) {
	var best run.StepResult
	found := false
	for _, k := range s.Needs {
		n, ok := byKey[k]
		if ok && (!found || end(n).After(end(best))) {
			best, found = n, true
		}
	}
	return best, found
}

func end(s run.StepResult) time.Time { return s.Started.Add(s.Duration) }
