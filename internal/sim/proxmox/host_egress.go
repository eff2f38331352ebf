package proxmox

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// EgressHookPath is where the host NAT hook lives (the contract between
// tripod and the hosts: an executable ifupdown hook).
const EgressHookPath = ifUpDir + "/tripod-egress"

// EgressHookLines are the lines of the egress hook for the VMs of cluster
// on subnet (masked, e.g. "10.20.0.0/24"), as tripod writes it.
func EgressHookLines(cluster, subnet string) []string {
	rule := fmt.Sprintf("POSTROUTING -s %s ! -d %s -o vmbr0 -j MASQUERADE", subnet, subnet)
	return []string{
		"#!/bin/sh",
		"# tripod: egress for the VMs of cluster " + cluster + " (managed by tripod; do not edit)",
		`[ "$IFACE" = "vmbr0" ] || exit 0`,
		"sysctl -qw net.ipv4.ip_forward=1",
		"iptables -t nat -C " + rule + " 2>/dev/null || iptables -t nat -A " + rule,
	}
}

// EgressHookCommand is the one command line that writes the hook, makes it
// executable and runs it, as tripod sends it over SSH.
func EgressHookCommand(cluster, subnet string) string {
	quoted := make([]string, 0, 5)
	for _, l := range EgressHookLines(cluster, subnet) {
		quoted = append(quoted, "'"+l+"'")
	}
	return "printf '%s\\n' " + strings.Join(quoted, " ") + " > " + EgressHookPath +
		" && chmod 0755 " + EgressHookPath + " && IFACE=vmbr0 " + EgressHookPath
}

// ConfigureEgress gives host the egress hook and runs it, as a test's or a
// rehearsal's setup: the same interpreter runs the same command line tripod
// sends, but nothing is counted in the request log.
func (c *Cluster) ConfigureEgress(host, cluster, subnet string) error {
	c.mu.Lock()
	present := c.nodes[host] != nil
	c.mu.Unlock()
	if !present {
		return fmt.Errorf("failed to configure egress: no host %s", host)
	}
	sh := c.newShell(host)
	sh.hook = true
	var errb strings.Builder
	if status := sh.run(context.Background(), EgressHookCommand(cluster, subnet), io.Discard, &errb); status != 0 {
		return fmt.Errorf("failed to configure egress on %s: exit %d: %s", host, status, errb.String())
	}
	return nil
}
