package stage

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	dedibox "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"

	"github.com/tripod-dev/tripod/internal/inventory"
)

// checkBuiltVLAN observes the private network before anything is sent,
// when the state directory has no record of it (fresh, or not the one the
// cluster was built from): if this cluster's RPNv2 group already joins its
// servers and none of them is on the inventory's VLAN, the network was
// built on another one, and the network stage would re-VLAN a live
// cluster's hosts one by one. A group where some members are on the
// inventory's VLAN is drift the network stage repairs. It returns the
// refusal, or an error when the API could not be read.
func (k *catalog) checkBuiltVLAN(ctx context.Context) (refusal, err error) {
	e, c := k.env, k.c
	if !slices.ContainsFunc(e.Layout().Hosts, func(h inventory.HostPlan) bool { return h.Provider == inventory.Dedibox }) {
		return nil, nil // Scaleway picks an Elastic Metal network's VLAN
	}
	if id, _, err := e.LoadBuilt(); err != nil || (id.Network != nil && id.Network.VLAN != 0) {
		return nil, err // recorded: the check against the record covers it
	}
	name := privateNetworkName(e.Cluster())
	g, err := c.FindRPNGroup(ctx, name)
	if err != nil || g == nil {
		return nil, err
	}
	vlans, err := k.memberVLANs(ctx, g.ID)
	if err != nil || len(vlans) == 0 {
		return nil, err
	}
	want := strconv.Itoa(e.Cluster().Network.VLAN)
	if _, ok := vlans[want]; ok {
		return nil, nil
	}
	var on, from []string
	for v, servers := range vlans {
		sort.Strings(servers)
		noun := "server "
		if len(servers) > 1 {
			noun = "servers "
		}
		on = append(on, noun+strings.Join(servers, ", ")+" on VLAN "+v)
		from = append(from, v)
	}
	sort.Strings(on)
	sort.Strings(from)
	return fmt.Errorf("network.vlan: cannot change from %s to %s on a live cluster: RPNv2 group %s already joins this cluster's %s, and state directory %s has no record of the cluster as built (a fresh or misplaced state directory); run from the state directory the cluster was built from, or set network.vlan back to %s; to change the VLAN, rebuild the cluster (tripod down --release-servers, then up)",
		strings.Join(from, "/"), want, name, strings.Join(on, " and "), e.State.Path, strings.Join(from, " or ")), nil
}

// memberVLANs maps each VLAN of the group's members that are this
// cluster's servers to their servers' names ("server 42").
func (k *catalog) memberVLANs(ctx context.Context, group uint64) (map[string][]string, error) {
	e, c := k.env, k.c
	members, err := c.RPNMembers(ctx, group)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, m := range members {
		if m.Server == nil || m.Vlan == "" || m.Status == dedibox.RpnV2MemberStatusDeleting || !slices.Contains(m.Server.Tags, e.ServerTag()) {
			continue
		}
		out[m.Vlan] = append(out[m.Vlan], strconv.FormatUint(m.Server.ID, 10))
	}
	return out, nil
}
