package stage

import (
	"context"
	"fmt"

	"github.com/tripod-dev/tripod/internal/run"
)

// Each host's own firewall switch, /nodes/{node}/firewall/options: unset
// or 1 lets the datacenter's firewall act on the host; 0 takes the host out
// of it, every port public whatever the datacenter says. harden/<host>
// observes it through the host's own API and sets enable=1 where it is 0.
// With the datacenter's firewall off that changes nothing yet (the
// datacenter step checks new connections when it enables); with it on it
// is an enable of this host, checked by a new SSH and API connection right
// after and switched off again through the open connection when that fails.

func pathHostFWOptions(host string) string { return "/nodes/" + host + "/firewall/options" }

func hostFirewallMutation(host string, enable int) run.Mutation {
	m := run.Mutation{API: "proxmox", Verb: "enable", Object: "host firewall of " + host,
		Detail:  "enable=1: with 0 the host is outside the datacenter firewall",
		Request: "PUT /api2/json" + pathHostFWOptions("{node}")}
	if enable == 0 {
		m.Verb, m.Detail = "disable", "lock-out recovery: enable=0"
	}
	return m
}

// hostSwitch makes host's own firewall switch not 0.
func (e *Env) hostSwitch(ctx context.Context, st *run.Step, host string) error {
	c, err := e.node(st, host).API()
	if err != nil {
		return err
	}
	opts, err := c.ReadMap(ctx, pathHostFWOptions(host))
	if err != nil {
		return fmt.Errorf("failed to read %s's host firewall options: %w", host, err)
	}
	if v, ok := opts["enable"]; !ok || fmt.Sprint(v) != "0" {
		return nil
	}
	dc, err := c.ReadMap(ctx, pathClusterFWOptions)
	if err != nil {
		return fmt.Errorf("failed to read the datacenter firewall options: %w", err)
	}
	set := func(enable int) error {
		return st.Mutate(ctx, hostFirewallMutation(host, enable), func(ctx context.Context) error {
			_, err := c.Put(ctx, pathHostFWOptions(host), map[string]any{"enable": enable})
			return err
		})
	}
	if err := set(1); err != nil || fmt.Sprint(dc["enable"]) != "1" {
		return err
	}
	cause := checkHostAccess(ctx, e.fleet(st), host, "after switching its host firewall on")
	if cause == nil {
		return nil
	}
	if err := set(0); err != nil {
		return fmt.Errorf("%w; tripod could not switch it off again (%v): on the host's Scaleway console (KVM or rescue) log in as root with the password in the state directory's secrets and set enable: 0 in /etc/pve/nodes/%s/host.fw; check that access.allowedSources holds the public address tripod connects from", cause, err, host)
	}
	return fmt.Errorf("%w; tripod switched %s's host firewall off again through its open connection: check that access.allowedSources holds the public address tripod connects from, then run up again", cause, host)
}
