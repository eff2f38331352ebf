package proxmox

import "context"

// Probe runs cmd on the host once: no retry, whatever happened to its
// session. A drill's probe measures the host as it is, and a retry would
// hide the very outage it looks for; a non-zero exit is a
// HostCommandError as with Observe.
func (n *Node) Probe(ctx context.Context, cmd string) (string, error) { return n.exec(ctx, cmd) }
