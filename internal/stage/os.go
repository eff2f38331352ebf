package stage

import (
	"context"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
)

// osInstall installs Proxmox VE on each server through Scaleway's install
// API (os_install.go), then prepares the Proxmox API for the stages after it:
// the certificate fingerprint pinned, an API token created (os_token.go).
type osInstall struct{ env *Env }

func (s *osInstall) Name() string { return OS }

func (s *osInstall) Targets() []run.Target {
	return s.env.hostTargets(func(h inventory.HostPlan) []run.Key { return []run.Key{run.On(Servers, h.Name)} })
}

func (s *osInstall) Run(ctx context.Context, st *run.Step) error {
	h, _ := s.env.Layout().Host(st.Key.Target)
	err := s.install(ctx, st, h)
	if planned(err) { // Proxmox VE is not there yet: its API is planned from nothing
		return s.env.planProxmox(ctx, st, h)
	}
	if err != nil {
		return err
	}
	return s.env.prepareProxmox(ctx, st, h)
}

// Plan is the install and the Proxmox API's preparation from nothing: the
// server is only planned, so there is nothing to observe yet.
func (s *osInstall) Plan(ctx context.Context, st *run.Step) error {
	h, _ := s.env.Layout().Host(st.Key.Target)
	if err := s.planFreshInstall(ctx, st, h); !planned(err) {
		return err
	}
	return s.env.planProxmox(ctx, st, h)
}

// planFreshInstall plans the install on a server that is only planned.
func (s *osInstall) planFreshInstall(ctx context.Context, st *run.Step, h inventory.HostPlan) error {
	c, err := s.env.scw()
	if err != nil {
		return err
	}
	return s.planInstall(ctx, st, c, installMutation(h))
}
