package stage

import (
	"context"
	"fmt"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
)

// privateNetwork joins h's server to the cluster's private network: a
// Dedibox RPNv2 group with the inventory's VLAN (network_rpn.go), or an Elastic
// Metal private network, whose VLAN Scaleway chooses per server
// (network_metal.go). Both are named after the cluster and created by the first
// host that needs them, so a later run finds them again. It is one target
// per host, needing only that host's server: a host whose order failed
// stops the others nowhere. Each host's VLAN is published (facts.SetVLAN)
// for its bridge.
func (s *network) privateNetwork(ctx context.Context, st *run.Step, h inventory.HostPlan) error {
	fact, ok := factsOf(st).Host(h.Name)
	if !ok {
		return fmt.Errorf("no server is known for %s: the servers stage published none", h.Name)
	}
	return s.joinPrivate(ctx, st, h, &fact)
}

// joinPrivate joins h's server (f; nil while it is only planned, which is
// how Plan calls it) to the private network.
func (s *network) joinPrivate(ctx context.Context, st *run.Step, h inventory.HostPlan, f *HostFact) error {
	e := s.env
	s.warnOnce(st, "mixed", mixedProviders(e.Layout()), mixedWarning)
	c, err := e.scw()
	if err != nil {
		return err
	}
	if h.Provider == inventory.ElasticMetal {
		return s.metalPrivateNetwork(ctx, st, c, h, f)
	}
	return s.rpnMembership(ctx, st, c, h, f)
}

const mixedWarning = "this inventory mixes Dedibox and Elastic Metal: the Dedibox RPNv2 group and the Elastic Metal private network are separate networks that Scaleway does not join; hosts reach across only if you route between them"

// privateTarget is the network stage's target that joins host's server to
// the private network.
func privateTarget(host string) string { return privateNetworkTarget + "/" + host }

// privateNetworkName names the RPNv2 group and the private network.
func privateNetworkName(c *inventory.Cluster) string { return "tripod-" + c.Name }

// mixedProviders reports whether the inventory has hosts of both providers.
func mixedProviders(l *inventory.Layout) bool {
	seen := map[inventory.Provider]bool{}
	for _, h := range l.Hosts {
		seen[h.Provider] = true
	}
	return len(seen) > 1
}
