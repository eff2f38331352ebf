package proxmox

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// TokenID is the API token tripod uses on every host: root@pam's, without
// privilege separation, so it may do what root@pam may except the few
// root@pam-only calls (cluster create and join, OSD create, the terminal),
// which use a ticket instead.
const TokenID = "root@pam!tripod"

// Credentials are the secrets the fleet authenticates with. The caller keeps
// them (the state directory's secret store); its errors say where each one
// lives and what to do when it is missing.
type Credentials interface {
	// RootPassword is host's root@pam password; where names where it is
	// kept, for the message of a refused login.
	RootPassword(host string) (password, where string, err error)
	// Token is the secret of the API token stored for owner (a host's own,
	// or the cluster's under the first host's name).
	Token(owner string) (string, error)
	// SSHKey is root's SSH key for host; nil with no error when host has
	// no SSH, so commands go through the node terminal (tripod gives every
	// host its key; the terminal serves a host installed without one).
	SSHKey(host string) (ssh.Signer, error)
}

// Endpoints says where a host's API answers (its public address, as an
// earlier step observed it).
type Endpoints interface {
	Endpoint(host string) (Endpoint, error)
}

// Progress hears what a request or wait is doing (a step's progress line).
type Progress func(format string, args ...any)

// Fleet is every host's clients for one run: the pins, one ticket client and
// one token client per host (dropped when a join replaces the host's
// certificate, tickets and tokens), and the command channel.
type Fleet struct {
	cfg       Config
	endpoints Endpoints
	creds     Credentials
	shells    *Shells

	mu    sync.Mutex
	nodes map[string]*Node

	tokenMu sync.Mutex // token changes on a member are the whole cluster's
}

// NewFleet builds the run's fleet on cfg (its pins decide whether trust
// on first use is written to disk).
func NewFleet(cfg Config, endpoints Endpoints, creds Credentials) *Fleet {
	f := &Fleet{cfg: cfg, endpoints: endpoints, creds: creds, nodes: map[string]*Node{}}
	f.shells = &Shells{Config: cfg, Access: func(_ context.Context, host string) (HostAccess, error) {
		return f.access(host)
	}}
	return f
}

// Pins is the fleet's pin store.
func (f *Fleet) Pins() PinStore { return f.cfg.Pins }

// Endpoint is where host's API answers.
func (f *Fleet) Endpoint(host string) (Endpoint, error) { return f.endpoints.Endpoint(host) }

// LockTokens serializes token changes within the run (a change on one
// member is one for the whole cluster); call the returned func to unlock.
func (f *Fleet) LockTokens() (unlock func()) {
	f.tokenMu.Lock()
	return f.tokenMu.Unlock
}

// Node is host's entry in the fleet.
func (f *Fleet) Node(host string) *Node {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.nodes[host]
	if n == nil {
		n = &Node{fleet: f, name: host}
		f.nodes[host] = n
	}
	return n
}

// Forget drops a host's clients: after a join its certificate, tickets and
// tokens are new.
func (f *Fleet) Forget(host string) {
	n := f.Node(host)
	n.mu.Lock()
	defer n.mu.Unlock()
	n.root, n.api = nil, nil
}

// TokenClient is a client for host authenticated with the token stored for
// owner (host itself, or the first host for the cluster's token).
func (f *Fleet) TokenClient(host, owner string) (*Client, error) {
	ep, err := f.endpoints.Endpoint(host)
	if err != nil {
		return nil, err
	}
	tok, err := f.creds.Token(owner)
	if err != nil {
		return nil, err
	}
	c, err := NewClient(f.cfg, ep)
	if err != nil {
		return nil, err
	}
	return c, c.UseToken(TokenID, tok)
}

// login is host's client with a fresh root@pam ticket.
func (f *Fleet) login(ctx context.Context, host string) (*Client, error) {
	ep, err := f.endpoints.Endpoint(host)
	if err != nil {
		return nil, err
	}
	pw, where, err := f.creds.RootPassword(host)
	if err != nil {
		return nil, err
	}
	c, err := NewClient(f.cfg, ep)
	if err != nil {
		return nil, err
	}
	err = read(ctx, f.cfg, func(ctx context.Context) error { return c.Login(ctx, pw) })
	if IsAuthRefused(err) {
		return nil, fmt.Errorf("root@pam login on %s refused: the password in %s is not the host's (was it reinstalled or changed outside tripod?): %w", host, where, err)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// access is how the command channel reaches host: SSH with the cluster's
// key where the host has SSH, the node terminal with a root@pam ticket
// otherwise.
func (f *Fleet) access(host string) (HostAccess, error) {
	ep, err := f.endpoints.Endpoint(host)
	if err != nil {
		return HostAccess{}, err
	}
	acc := HostAccess{Endpoint: ep}
	acc.Root = func(ctx context.Context) (*Client, error) { return f.Node(host).Root(ctx) }
	acc.SSHKey, err = f.creds.SSHKey(host)
	return acc, err
}

// ticketLife is how long a root@pam ticket is reused: PVE's last two hours.
const ticketLife = time.Hour
