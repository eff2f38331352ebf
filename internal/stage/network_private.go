package stage

import (
	"context"
	"fmt"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
)

// privateNetwork joins every server to one private network: a Dedibox RPNv2
// group with the inventory's VLAN (scw_rpn.go), or an Elastic Metal private
// network, whose VLAN Scaleway chooses per server (scw_pn.go). A mixed
// inventory gets both, which Scaleway does not join to each other. Both are
// named after the cluster, so a later run finds them again; each host's
// VLAN is published under privateVLANKey for its bridge.
func (s *network) privateNetwork(ctx context.Context, st *run.Step) error {
	e := s.env
	var ded, em []inventory.HostPlan
	for _, h := range e.Layout().Hosts {
		if h.Provider == inventory.ElasticMetal {
			em = append(em, h)
		} else {
			ded = append(ded, h)
		}
	}
	if len(ded) > 0 && len(em) > 0 {
		st.Warn("this inventory mixes Dedibox and Elastic Metal: the Dedibox RPNv2 group and the Elastic Metal private network are separate networks that Scaleway does not join; hosts reach across only if you route between them")
	}
	c, err := e.scw()
	if err != nil {
		return err
	}
	var done []string
	if len(ded) > 0 {
		if err := e.rpnGroup(ctx, st, c, ded); err != nil {
			return err
		}
		done = append(done, fmt.Sprintf("RPNv2 group %s on VLAN %d", e.privateNetworkName(), e.Cluster().Network.VLAN))
	}
	if len(em) > 0 {
		if err := e.metalPrivateNetworks(ctx, st, c, em); err != nil {
			return err
		}
		done = append(done, "Elastic Metal private network "+e.privateNetworkName())
	}
	st.Skip("%s: every server attached", joinAnd(done))
	return nil
}

// privateVLANKey is the fact holding the VLAN ID (an int) host's private
// network traffic is tagged with on its link: the inventory's for Dedibox
// RPNv2, the one Scaleway assigned for an Elastic Metal private network.
func privateVLANKey(host string) string { return "vlan/" + host }

// privateNetworkName names the RPNv2 group and the private network.
func (e *Env) privateNetworkName() string { return "tripod-" + e.Cluster().Name }

func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return fmt.Sprintf("%s and %s", items[0], items[1])
}

// serverFacts returns the HostFact of each of hosts.
func (e *Env) serverFacts(st *run.Step, hosts []inventory.HostPlan) ([]HostFact, error) {
	out := make([]HostFact, 0, len(hosts))
	for _, h := range hosts {
		f, ok := run.Fact[HostFact](st.Facts(), hostFactKey(h.Name))
		if !ok {
			return nil, fmt.Errorf("no server is known for %s: the servers stage published none", h.Name)
		}
		out = append(out, f)
	}
	return out, nil
}
