package proxmox

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// cmdPing is iputils ping: the RTT between the two hosts' placements from
// the latency model (env.RTT), 100% loss when the target is dark or not
// reachable from this host's networks. It does not wait out the intervals.
func cmdPing(_ context.Context, sh *shell, args []string, out, errw io.Writer) int {
	count, quiet, target, status := parsePing(args, errw)
	if status != 0 {
		return sh.record("ping", false, status)
	}
	var ip string
	var rtt time.Duration
	var reachable bool
	status = sh.withNode(func(n *node) int {
		var ok bool
		ip, rtt, reachable, ok = sh.c.pingPath(n, target)
		if !ok {
			fmt.Fprintf(errw, "ping: %s: Name or service not known\n", target)
			return 2
		}
		return 0
	})
	if status != 0 {
		return sh.record("ping", false, status)
	}
	fmt.Fprintf(out, "PING %s (%s) 56(84) bytes of data.\n", target, ip)
	ms := float64(rtt) / float64(time.Millisecond)
	if reachable && !quiet {
		for i := 1; i <= count; i++ {
			fmt.Fprintf(out, "64 bytes from %s: icmp_seq=%d ttl=64 time=%.3g ms\n", ip, i, ms*(0.97+0.02*float64(i%3)))
		}
	}
	elapsed := (count-1)*1000 + 3
	fmt.Fprintf(out, "\n--- %s ping statistics ---\n", target)
	if !reachable {
		fmt.Fprintf(out, "%d packets transmitted, 0 received, 100%% packet loss, time %dms\n\n", count, elapsed+40)
		return sh.record("ping", false, 1)
	}
	fmt.Fprintf(out, "%d packets transmitted, %d received, 0%% packet loss, time %dms\n", count, count, elapsed)
	fmt.Fprintf(out, "rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", ms*0.95, ms, ms*1.07, ms*0.03)
	return sh.record("ping", false, 0)
}

// parsePing reads the options; without -c it stops after 4 (the simulated
// ping never runs forever).
func parsePing(args []string, errw io.Writer) (count int, quiet bool, target string, status int) {
	count = 4
	for i := 1; i < len(args); i++ {
		switch a := args[i]; a {
		case "-c", "-W", "-i", "-w", "-s", "-I":
			if i+1 >= len(args) {
				fmt.Fprintf(errw, "ping: option requires an argument -- '%s'\n", a[1:])
				return 0, false, "", 2
			}
			if a == "-c" {
				n, err := strconv.Atoi(args[i+1])
				if err != nil || n < 1 {
					fmt.Fprintf(errw, "ping: invalid argument: '%s'\n", args[i+1])
					return 0, false, "", 1
				}
				count = n
			}
			i++
		case "-q":
			quiet = true
		case "-n", "-4":
		default:
			target = a
		}
	}
	if target == "" {
		fmt.Fprintln(errw, "ping: usage error: Destination address required")
		return 0, false, "", 1
	}
	return count, quiet, target, 0
}

// pingPath resolves a ping target (a node name, a public address, or an
// address on a node's interfaces) and whether it answers from n.
func (c *Cluster) pingPath(n *node, target string) (ip string, rtt time.Duration, reachable, known bool) {
	if t := c.nodes[target]; t != nil {
		target = t.Info.PublicIP
	}
	if net.ParseIP(target) == nil {
		return "", 0, false, false
	}
	for _, t := range c.nodeList() {
		public := t.Info.PublicIP == target
		if !public && !t.Net.hasAddress(target) {
			continue
		}
		if t == n {
			return target, 30 * time.Microsecond, true, true
		}
		routed := public || sameSubnet(n, target)
		return target, c.env.RTT(n.Info.Placement, t.Info.Placement), routed && c.online(t.Info.Hostname), true
	}
	return target, 0, false, true
}

// sameSubnet reports whether n has an active address in target's subnet:
// private VLAN addresses answer only from hosts on that network.
func sameSubnet(n *node, target string) bool {
	ip := net.ParseIP(target)
	for _, a := range n.Net.addresses() {
		if a.Contains(ip) {
			return true
		}
	}
	return false
}
