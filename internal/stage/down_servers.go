package stage

import (
	"context"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/scaleway"
)

type releaseServers struct {
	env  *Env
	opts DownOptions
}

func (s *releaseServers) Name() string { return DownServers }

func (s *releaseServers) Targets() []run.Target {
	return s.env.hostTargets(func(h inventory.HostPlan) []run.Key { return []run.Key{run.On(DownVMs, h.Name)} })
}

// Run terminates the host's server when asked to, and only a server that
// carries the cluster's tag (findServers found it by that tag): an ordered
// one with --release-servers, an adopted one only with --release-adopted as
// well. There is no undo: a terminated server is gone, with its disks.
func (s *releaseServers) Run(ctx context.Context, st *run.Step) error {
	e := s.env
	o := e.owner()
	h, _ := e.Layout().Host(st.Key.Target)
	srv, ok := factsOf(st).DownServer(h.Name)
	f, _ := factsOf(st).Host(h.Name)
	switch {
	case !ok:
		st.Skip("no server to release")
		return nil
	case !s.opts.ReleaseServers:
		st.Skip("%s kept: pass --release-servers to terminate it", srv.Describe(h.Name))
		return nil
	case o.otherState(srv) != "":
		// findServers refuses these already; a terminate is never undone.
		return o.managedElsewhere(o.otherState(srv), srv)
	case f.Adopted && !s.opts.ReleaseAdopted:
		st.Skip("%s was adopted, not ordered: kept (pass --release-adopted too to terminate it)", srv.Describe(h.Name))
		return nil
	}
	c, err := e.scw()
	if err != nil {
		return err
	}
	m := run.Mutation{API: "scaleway", Verb: "terminate", Object: srv.Describe(h.Name), Detail: "the server and its disks are released",
		Request: scaleway.ByProvider(srv.Provider, scaleway.ReqDediboxTerminate, scaleway.ReqMetalTerminate)}
	if err := st.Mutate(ctx, m, func(ctx context.Context) error { return c.Terminate(ctx, srv) }); err != nil {
		return err
	}
	return s.forgetHost(st, h.Name)
}

// forgetHost drops what the state directory knew about a released host's
// server: its pins, token and root password would only make a future
// server at that name look like an impostor.
func (s *releaseServers) forgetHost(st *run.Step, host string) error {
	e := s.env
	if err := s.pveForgetHost(st, host); err != nil {
		return err
	}
	if st.DryRun() {
		return nil
	}
	return e.State.Secrets.Delete(secretRootPassword(host))
}
