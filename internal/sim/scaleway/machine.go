package scaleway

import (
	"sort"
	"time"
)

// advance brings every status machine to now: installs that finished are
// settled (firing OnInstalled once), finished deletions are removed (firing
// OnRemoved). It runs with s.mu held, before and after each request and on
// Run's ticker, so hooks fire even when nobody polls.
func (s *Sim) advance(now time.Time) {
	s.advanceDedibox(now)
	s.advanceEM(now)
	s.advanceRPN()
	s.advancePNs()
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
