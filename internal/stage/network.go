package stage

import (
	"context"

	"github.com/tripod-dev/tripod/internal/run"
)

type network struct{ env *Env }

func (s *network) Name() string { return Network }

// Run builds the Scaleway private network (network_private.go) or one
// host's VM bridge on it (network_bridge.go).
func (s *network) Run(ctx context.Context, st *run.Step) error {
	if st.Key.Target == privateNetworkTarget {
		return s.privateNetwork(ctx, st)
	}
	h, _ := s.env.Layout().Host(st.Key.Target)
	return s.bridge(ctx, st, h)
}

// privateNetworkTarget is the Scaleway side: the RPNv2 group and VLAN (or the
// Elastic Metal private network) joining every server.
const privateNetworkTarget = "private-network"

// Targets: the private network needs every server delivered; each host's
// VM bridge needs its host installed and the private network.
func (s *network) Targets() []run.Target {
	out := []run.Target{{ID: privateNetworkTarget, Needs: []run.Key{run.All(Servers)}}}
	for _, h := range s.env.Layout().Hosts {
		out = append(out, run.Target{ID: h.Name, Needs: []run.Key{run.On(OS, h.Name), run.On(Network, privateNetworkTarget)}})
	}
	return out
}
