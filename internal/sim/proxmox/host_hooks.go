package proxmox

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// ifUpDir is where ifupdown2 looks for the hooks it runs as each interface
// comes up, with IFACE naming it.
const ifUpDir = "/etc/network/if-up.d"

// hookCommands are the only commands a hook script may run in the
// simulator: the ones the egress hook's lines use. Anything else fails as
// an unknown command and is recorded as unmodelled.
var hookCommands = map[string]bool{"sysctl": true, "iptables": true}

// runScript runs an executable file by its path, as bash does: a /bin/sh
// (or bash) script is read line by line in a child shell with the
// command's environment; its commands are the script's, so only the script
// itself is counted, as one mutating request.
func (sh *shell) runScript(ctx context.Context, p string, env map[string]string, out, errw io.Writer) int {
	p = hostPath(p)
	var data string
	status := sh.withNode(func(n *node) int {
		f := n.Files[p]
		switch {
		case f == nil && hostDirs[p]:
			fmt.Fprintf(errw, "bash: %s: Is a directory\n", p)
			return 126
		case f == nil:
			fmt.Fprintf(errw, "bash: %s: No such file or directory\n", p)
			return 127
		case f.Mode&0o111 == 0:
			fmt.Fprintf(errw, "bash: %s: Permission denied\n", p)
			return 126
		}
		data = f.Data
		return 0
	})
	if status != 0 {
		return sh.record(p, true, status)
	}
	return sh.record(p, true, sh.interpret(ctx, p, data, env, out, errw))
}

// interpret runs a script's lines in a child shell that may use only
// hookCommands.
func (sh *shell) interpret(ctx context.Context, p, data string, env map[string]string, out, errw io.Writer) int {
	lines := strings.Split(data, "\n")
	if first := strings.TrimSpace(lines[0]); strings.HasPrefix(first, "#!") {
		switch strings.TrimSpace(first[2:]) {
		case "/bin/sh", "/bin/bash", "/usr/bin/env sh", "/usr/bin/env bash", "/bin/sh -e":
		default:
			return sh.unmodelled(p, errw, "the simulator does not model the interpreter of "+p+": "+first, 126)
		}
	}
	child := &shell{c: sh.c, host: sh.host, vars: map[string]string{}, hook: true, allowed: hookCommands}
	for k, v := range env {
		child.vars[k] = v
	}
	status := 0
	for _, line := range lines {
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		status = child.run(ctx, line, out, errw)
		if child.done {
			break
		}
	}
	return status
}

// RebootHost reboots the Proxmox host of a server (by Scaleway ID): its
// live network settings (forwarding, the nat rules) are lost, and as each
// interface comes up ifupdown2 runs the executable hooks in
// /etc/network/if-up.d/ with IFACE set. Files stay. The simulator does not
// model the minutes the host is down.
func (c *Cluster) RebootHost(serverID string) {
	c.mu.Lock()
	var n *node
	for _, x := range c.nodes {
		if x.Info.ServerID == serverID {
			n = x
		}
	}
	if n == nil {
		c.mu.Unlock()
		return
	}
	n.Kernel = &kernelState{}
	host := n.Info.Hostname
	var up []string
	for _, name := range sortedIfaces(n.Net.Running) {
		if n.Net.Running[name].Autostart {
			up = append(up, name)
		}
	}
	c.mu.Unlock()
	c.runBootHooks(host, append([]string{"lo"}, up...))
}

// runBootHooks runs every executable hook in /etc/network/if-up.d/ once
// per interface brought up, as ifupdown2 does at boot. Their output goes
// to the boot log, which nobody reads; an unmodelled line is recorded as
// an error as anywhere else.
func (c *Cluster) runBootHooks(host string, ifaces []string) {
	sh := c.newShell(host)
	sh.hook = true
	var hooks []string
	var scripts []string
	sh.withNode(func(n *node) int {
		for _, p := range n.filesIn(ifUpDir) {
			if f := n.Files[p]; f.Mode&0o111 != 0 {
				hooks, scripts = append(hooks, p), append(scripts, f.Data)
			}
		}
		return 0
	})
	ctx := context.Background()
	for _, iface := range ifaces {
		for i, p := range hooks {
			env := map[string]string{"IFACE": iface, "LOGICAL": iface, "MODE": "start", "PHASE": "post-up", "METHOD": "static"}
			if status := sh.interpret(ctx, p, scripts[i], env, io.Discard, io.Discard); status != 0 {
				c.env.Log.Error(simcore.APISSH, "boot", fmt.Sprintf("%s: %s (IFACE=%s) exited with %d", host, p, iface, status))
			}
		}
	}
}
