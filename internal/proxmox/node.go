package proxmox

import (
	"context"
	"crypto/x509"
	"sync"
)

// Node is one host of the fleet: its ticket and token clients, and its
// host commands.
type Node struct {
	fleet *Fleet
	name  string

	mu   sync.Mutex
	root *Client
	api  *Client
}

// Name is the host's node name.
func (n *Node) Name() string { return n.name }

// Root is the host's client with a root@pam ticket (renewed before PVE's
// two hours run out), for the root@pam-only calls.
func (n *Node) Root(ctx context.Context) (*Client, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.root != nil && n.root.TicketAge() < ticketLife {
		return n.root, nil
	}
	c, err := n.fleet.login(ctx, n.name)
	if err != nil {
		return nil, err
	}
	n.root = c
	return c, nil
}

// API is the host's client with tripod's API token: everything but the
// root@pam-only calls goes through it.
func (n *Node) API() (*Client, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.api != nil {
		return n.api, nil
	}
	c, err := n.fleet.TokenClient(n.name, n.name)
	if err != nil {
		return nil, err
	}
	n.api = c
	return c, nil
}

// Certificate is the certificate the host's API presents now, trusting
// nothing and sending nothing (see ProbeCert), under the probe policy.
func (n *Node) Certificate(ctx context.Context) (*x509.Certificate, error) {
	ep, err := n.fleet.Endpoint(n.name)
	if err != nil {
		return nil, err
	}
	var c *x509.Certificate
	err = probe(ctx, n.fleet.cfg, func(ctx context.Context) (err error) {
		c, err = ProbeCert(ctx, n.fleet.cfg.Dialer, ep)
		return err
	})
	return c, err
}

// Fingerprint is the fingerprint of Certificate, for trust on first use.
func (n *Node) Fingerprint(ctx context.Context) (string, error) {
	c, err := n.Certificate(ctx)
	if err != nil {
		return "", err
	}
	return Fingerprint(c.Raw), nil
}
