package stage

import (
	"context"
	"fmt"

	"github.com/tripod-dev/tripod/internal/run"
)

// Each host's own firewall switch, /nodes/{node}/firewall/options: unset
// or 1 lets the datacenter's firewall act on the host; 0 turns it off for
// that host whatever the datacenter says. The datacenter step observes
// every host's and sets enable=1 where it is 0, each host through its own
// API, and checks new connections after as for an enable.

func pathHostFWOptions(host string) string { return "/nodes/" + host + "/firewall/options" }

func hostFirewallMutation(host string) run.Mutation {
	return run.Mutation{API: "proxmox", Verb: "enable", Object: "host firewall of " + host,
		Detail:  "enable=1: with 0 the host is outside the datacenter firewall",
		Request: "PUT /api2/json" + pathHostFWOptions("{node}")}
}

// hostFirewallsOff are the hosts whose own firewall switch is 0, in layout order.
func (e *Env) hostFirewallsOff(ctx context.Context, st *run.Step) ([]string, error) {
	var off []string
	for _, h := range e.Layout().Hosts {
		c, err := e.node(st, h.Name).API()
		if err != nil {
			return nil, err
		}
		opts, err := c.ReadMap(ctx, pathHostFWOptions(h.Name))
		if err != nil {
			return nil, fmt.Errorf("failed to read %s's host firewall options: %w", h.Name, err)
		}
		if v, ok := opts["enable"]; ok && fmt.Sprint(v) == "0" {
			off = append(off, h.Name)
		}
	}
	return off, nil
}

// enableHostFirewalls sets enable=1 on each host of off.
func (e *Env) enableHostFirewalls(ctx context.Context, st *run.Step, off []string) error {
	for _, host := range off {
		c, err := e.node(st, host).API()
		if err != nil {
			return err
		}
		err = st.Mutate(ctx, hostFirewallMutation(host), func(ctx context.Context) error {
			_, err := c.Put(ctx, pathHostFWOptions(host), map[string]any{"enable": 1})
			return err
		})
		if !sentOrPlanned(err) {
			return err
		}
	}
	return nil
}
