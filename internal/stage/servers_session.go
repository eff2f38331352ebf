package stage

import (
	"net/http"

	"github.com/tripod-dev/tripod/internal/scaleway"
)

// scw is the run's Scaleway session, built once for every step to share.
func (e *Env) scw() (*scaleway.Session, error) {
	e.scwOnce.Do(func() { e.scwSess, e.scwErr = e.newScw(e.Dialer.HTTPClient(nil, 0).Transport) })
	return e.scwSess, e.scwErr
}

// newScw builds a Scaleway session on base (the dialer's transport, or a
// test's in front of it).
func (e *Env) newScw(base http.RoundTripper) (*scaleway.Session, error) {
	return scaleway.NewSession(e.Scaleway, base, e.Cluster().Scaleway.ProjectID, e.Timing, e.Retries)
}
