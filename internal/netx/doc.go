// Package netx is the one place tripod opens network connections. For real
// services it is a plain dialer. In simulation it maps every address the
// inventory and the simulated services name (private VM addresses, Scaleway
// servers' public addresses, the cluster endpoint, the Image Factory) onto
// the simulator's loopback listeners, from the address map the simulator
// publishes, and refuses every other destination: a test or a rehearsal
// never sends a packet outside 127.0.0.0/8.
//
// A dialer can also route destinations through SSH jump hosts
// (Dialer.WithRoute): a Router, which the caller builds from its inventory,
// names the candidate hosts for a destination, and netx opens a
// direct-tcpip channel through the first that works, keeping one SSH
// connection per host shared by every channel. This is how an operator on
// the internet reaches the private VLAN.
package netx
