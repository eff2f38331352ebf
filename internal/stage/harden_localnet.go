package stage

import (
	"context"
	"fmt"

	"github.com/tripod-dev/tripod/internal/proxmox"
	"github.com/tripod-dev/tripod/internal/run"
)

// PVE's host firewall lets its management IP set reach 8006, 22, 3128 and
// 5900-5999 whatever the rules say, and PVE always puts local_network in
// that set: the subnet of the host's public address unless the datacenter
// defines an alias named local_network. On Scaleway that subnet is a /24
// shared with other customers (and, on Elastic Metal in the simulator, the
// operator's own range), so tripod defines the alias as the private
// network, which its rules open to everything anyway. Defining the IP set
// management would not help: local_network is added to it regardless.

const (
	pathClusterFWAliases = "/cluster/firewall/aliases"
	localNetworkAlias    = "local_network"
)

// wantLocalNetwork is the alias's cidr tripod keeps: the private subnet.
func (e *Env) wantLocalNetwork() string { return e.Cluster().Network.Subnet.Masked().String() }

// observeLocalNetwork reads the datacenter's local_network alias: its cidr
// and whether it is defined.
func observeLocalNetwork(ctx context.Context, c *proxmox.Client) (string, bool, error) {
	list, err := c.ReadList(ctx, pathClusterFWAliases)
	if err != nil {
		return "", false, fmt.Errorf("failed to read the datacenter firewall aliases: %w", err)
	}
	for _, m := range list {
		if n, _ := m["name"].(string); n == localNetworkAlias {
			cidr, _ := m["cidr"].(string)
			return cidr, true, nil
		}
	}
	return "", false, nil
}

func localNetworkMutation(defined bool, want string) run.Mutation {
	m := run.Mutation{API: "proxmox", Verb: "add", Object: "datacenter firewall alias " + localNetworkAlias,
		Detail:  "cidr=" + want + ": PVE's management IP set (22, 8006, 3128, 5900-5999 past every rule) holds the private network, not the public subnet",
		Request: "POST /api2/json" + pathClusterFWAliases}
	if defined {
		m.Verb, m.Request = "change", "PUT /api2/json"+pathClusterFWAliases+"/"+localNetworkAlias
	}
	return m
}

// syncLocalNetwork makes the alias the private subnet. A change whose answer was lost (a create resent and refused as
// existing) shows in the read after it.
func (e *Env) syncLocalNetwork(ctx context.Context, st *run.Step, c *proxmox.Client, seen string, defined bool) error {
	want := e.wantLocalNetwork()
	if defined && seen == want {
		return nil
	}
	err := st.Mutate(ctx, localNetworkMutation(defined, want), func(ctx context.Context) error {
		var err error
		if defined {
			_, err = c.Put(ctx, pathClusterFWAliases+"/"+localNetworkAlias, map[string]any{"cidr": want, "comment": rulePrefix + "the private network"})
		} else {
			_, err = c.Post(ctx, pathClusterFWAliases, map[string]any{"name": localNetworkAlias, "cidr": want, "comment": rulePrefix + "the private network"})
		}
		if err == nil {
			return nil
		}
		if now, ok, rerr := observeLocalNetwork(ctx, c); rerr == nil && ok && now == want {
			return nil
		}
		return err
	})
	if planned(err) {
		return nil // a dry run listed it
	}
	return err
}
