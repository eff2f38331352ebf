package stage

import (
	"context"
	"strings"

	"github.com/tripod-dev/tripod/internal/run"
)

type network struct{ env *Env }

func (s *network) Name() string { return Network }

// Run builds the Scaleway private network (network_private.go), one
// host's VM bridge on it (network_bridge.go) or the host's NAT for its VMs
// (network_egress.go).
func (s *network) Run(ctx context.Context, st *run.Step) error {
	if host, ok := strings.CutPrefix(st.Key.Target, privateTarget("")); ok {
		h, _ := s.env.Layout().Host(host)
		return s.privateNetwork(ctx, st, h)
	}
	if host, ok := strings.CutPrefix(st.Key.Target, egressTargetPrefix); ok {
		h, _ := s.env.Layout().Host(host)
		return s.egress(ctx, st, h)
	}
	h, _ := s.env.Layout().Host(st.Key.Target)
	return s.bridge(ctx, st, h)
}

// Plan lists, for a host not installed yet, its bridge built from nothing
// (network_bridge.go). The private network's target is not planned here:
// its Run plans its own from nothing (network_private.go).
func (s *network) Plan(ctx context.Context, st *run.Step) error {
	if host, ok := strings.CutPrefix(st.Key.Target, privateTarget("")); ok {
		h, _ := s.env.Layout().Host(host)
		return s.joinPrivate(ctx, st, h, nil)
	}
	if host, ok := strings.CutPrefix(st.Key.Target, egressTargetPrefix); ok {
		h, _ := s.env.Layout().Host(host)
		return s.env.planEgress(ctx, st, h)
	}
	h, _ := s.env.Layout().Host(st.Key.Target)
	return s.env.planBridge(ctx, st, h)
}

// privateNetworkTarget is the Scaleway side: the RPNv2 group and VLAN (or the
// Elastic Metal private network) joining the servers, one target per host
// (privateTarget).
const privateNetworkTarget = "private-network"

// Targets: a host joins the private network once its own server is
// delivered (a host whose order failed holds no other host back); its VM
// bridge needs the host installed and joined; its NAT (only without
// network.gateway) needs its bridge, which holds the VMs' gateway address.
func (s *network) Targets() []run.Target {
	var out []run.Target
	for _, h := range s.env.Layout().Hosts {
		out = append(out, run.Target{ID: privateTarget(h.Name), Needs: []run.Key{run.On(Servers, h.Name)}, Placement: h.AZ})
	}
	for _, h := range s.env.Layout().Hosts {
		out = append(out, run.Target{ID: h.Name, Needs: []run.Key{run.On(OS, h.Name), run.On(Network, privateTarget(h.Name))}, Placement: h.AZ})
	}
	if s.env.Cluster().HostNAT() {
		for _, h := range s.env.Layout().Hosts {
			out = append(out, run.Target{ID: egressTarget(h.Name), Needs: []run.Key{run.On(Network, h.Name)}, Placement: h.AZ})
		}
	}
	return out
}

// warnOnce gives a warning about the whole inventory once per run, from
// whichever step meets it first.
func (s *network) warnOnce(st *run.Step, key string, cond bool, format string, args ...any) {
	if !cond {
		return
	}
	c, err := s.env.scw()
	if err == nil && c.Once(key) {
		st.Warn(format, args...)
	}
}
