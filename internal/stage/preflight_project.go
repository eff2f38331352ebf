package stage

import (
	"context"
	"fmt"

	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/scaleway"
)

// checkProject reads one page of one server in the project, once per
// provider the inventory uses: the offers and OS lists preflight reads are
// public, so without this a key with no rights in the project would only be
// refused by the first order.
func (k *catalog) checkProject(ctx context.Context) error {
	e, c := k.env, k.c
	seen := map[inventory.Provider]bool{}
	for _, h := range e.Layout().Hosts {
		zone, err := hostZone(h)
		if seen[h.Provider] || err != nil { // a bad placement is checkOffer's to report
			continue
		}
		seen[h.Provider] = true
		if err := c.ProbeProject(ctx, h.Provider, zone); err != nil {
			return k.projectHint(err, h.Provider, zone)
		}
	}
	return nil
}

// projectHint turns a refusal of the project read into the sentence a user
// needs: which credentials, which project, and where each was set.
func (k *catalog) projectHint(err error, p inventory.Provider, zone scw.Zone) error {
	project := k.scwProject()
	switch {
	case scaleway.IsDeniedAuthentication(err):
		return fmt.Errorf("Scaleway refused the credentials from %s (401); nothing was ordered: %w", k.scwSource(), err)
	case scaleway.IsAccessDenied(err):
		return fmt.Errorf("the credentials from %s have no access to Scaleway project %s (%s): listing its %s servers in %s was refused (403); give the API key's IAM application rights in that project, or set scaleway.projectID to one it can use; nothing was ordered: %w",
			k.scwSource(), project.id, project.from, p, zone, err)
	}
	return scaleway.Wrap(err, "list the %s servers of project %s in %s", p, project.id, zone)
}

// scwSource names where the Scaleway credentials came from.
func (k *catalog) scwSource() string {
	e := k.env
	if e.ScalewaySource != "" {
		return e.ScalewaySource
	}
	return "SCW_ACCESS_KEY/SCW_SECRET_KEY or the scw config's active profile"
}

// scwProject is the project the run orders in, and where it was set, as
// scaleway.New chooses it.
func (k *catalog) scwProject() (p struct{ id, from string }) {
	e := k.env
	if id := e.Cluster().Scaleway.ProjectID; id != "" {
		p.id, p.from = id, "scaleway.projectID in "+e.Inv.File
		return p
	}
	if e.Scaleway != nil && e.Scaleway.DefaultProjectID != nil {
		p.id = *e.Scaleway.DefaultProjectID
	}
	p.from = "the default project of " + k.scwSource()
	return p
}
