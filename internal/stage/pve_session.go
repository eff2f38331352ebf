package stage

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/proxmox"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/state"
)

// pveTokenID is the API token tripod uses on every host: root@pam's, without
// privilege separation, so it may do what root@pam may except the few
// root@pam-only calls (cluster create and join, OSD create, the terminal),
// which use a ticket instead.
const pveTokenID = "root@pam!tripod"

// pveHosts is what the Proxmox steps of one run share: the pins, one ticket
// client and one token client per host (dropped when a join replaces the
// host's certificate, tickets and tokens), and the command channel.
type pveHosts struct {
	cfg    proxmox.Config
	facts  *run.Facts
	shells *proxmox.Shells

	mu    sync.Mutex
	hosts map[string]*pveHost

	tokenMu sync.Mutex // token changes on a member are the whole cluster's
}

type pveHost struct {
	mu   sync.Mutex
	root *proxmox.Client
	api  *proxmox.Client
}

// pve is the run's registry, built by the first step that needs it. A dry
// run pins in memory only.
func (e *Env) pve(st *run.Step) *pveHosts {
	p, _ := cached(e, "proxmox", func() (*pveHosts, error) {
		return e.newPVEHosts(e.Dialer, st.DryRun(), st.Facts()), nil
	})
	return p
}

// newPVEHosts builds the registry on dialer (tests wrap the one dialer to
// lose answers).
func (e *Env) newPVEHosts(dialer proxmox.Dialer, dryRun bool, facts *run.Facts) *pveHosts {
	var pins proxmox.PinStore = proxmox.FilePins{Dir: filepath.Join(e.State.Path, "pins")}
	if dryRun {
		pins = &proxmox.DryPins{Base: pins}
	}
	p := &pveHosts{cfg: proxmox.Config{Dialer: dialer, Timing: e.Timing, Retries: e.Retries, Pins: pins},
		facts: facts, hosts: map[string]*pveHost{}}
	p.shells = &proxmox.Shells{Config: p.cfg, Access: func(ctx context.Context, host string) (proxmox.HostAccess, error) {
		return e.pveAccess(p, host)
	}}
	return p
}

func (p *pveHosts) host(name string) *pveHost {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := p.hosts[name]
	if h == nil {
		h = &pveHost{}
		p.hosts[name] = h
	}
	return h
}

// forget drops a host's clients: after a join its certificate, tickets and
// tokens are new.
func (p *pveHosts) forget(name string) {
	h := p.host(name)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.root, h.api = nil, nil
}

// pveEndpoint is where host's API answers, from the servers stage's fact.
func (e *Env) pveEndpoint(facts *run.Facts, host string) (proxmox.Endpoint, error) {
	f, ok := tableOf(facts).Host(host)
	if !ok || f.PublicIP == "" {
		return proxmox.Endpoint{}, fmt.Errorf("no public address is known for %s: the servers and os stages publish it", host)
	}
	return proxmox.Endpoint{Node: host, Address: f.PublicIP}, nil
}

// pveRoot is host's client with a root@pam ticket (renewed before PVE's two
// hours run out), for the root@pam-only calls.
func (e *Env) pveRoot(ctx context.Context, st *run.Step, host string) (*proxmox.Client, error) {
	return e.pveLogin(ctx, e.pve(st), host)
}

func (e *Env) pveLogin(ctx context.Context, p *pveHosts, host string) (*proxmox.Client, error) {
	h := p.host(host)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.root != nil && h.root.TicketAge() < time.Hour {
		return h.root, nil
	}
	ep, err := e.pveEndpoint(p.facts, host)
	if err != nil {
		return nil, err
	}
	pw, err := e.State.Secrets.Get(secretRootPassword(host))
	if err != nil {
		return nil, fmt.Errorf("no root password for %s (secret %s): %w", host, secretRootPassword(host), err)
	}
	c, err := proxmox.NewClient(p.cfg, ep)
	if err != nil {
		return nil, err
	}
	err = e.pveRead(ctx, func(ctx context.Context) error { return c.Login(ctx, string(pw)) })
	if proxmox.StatusOf(err) == 401 {
		return nil, fmt.Errorf("root@pam login on %s refused: the password in secret %s is not the host's (was it reinstalled or changed outside tripod?): %w", host, secretRootPassword(host), err)
	}
	if err != nil {
		return nil, err
	}
	h.root = c
	return c, nil
}

// pveAPI is host's client with tripod's API token: everything but the
// root@pam-only calls goes through it.
func (e *Env) pveAPI(st *run.Step, host string) (*proxmox.Client, error) {
	p := e.pve(st)
	h := p.host(host)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.api != nil {
		return h.api, nil
	}
	c, err := e.pveTokenClient(p, host, secretPVEToken(host))
	if err != nil {
		return nil, err
	}
	h.api = c
	return c, nil
}

// pveTokenClient is a client for host using the token secret stored under
// secret.
func (e *Env) pveTokenClient(p *pveHosts, host, secret string) (*proxmox.Client, error) {
	ep, err := e.pveEndpoint(p.facts, host)
	if err != nil {
		return nil, err
	}
	tok, err := e.State.Secrets.Get(secret)
	if errors.Is(err, state.ErrNoSecret) {
		return nil, fmt.Errorf("no API token for %s (secret %s): the os stage creates it", host, secret)
	}
	if err != nil {
		return nil, err
	}
	c, err := proxmox.NewClient(p.cfg, ep)
	if err != nil {
		return nil, err
	}
	return c, c.UseToken(pveTokenID, string(tok))
}

// pveAccess is how the command channel reaches host: SSH with the cluster's
// key, except on Elastic Metal, whose Proxmox VE image has no SSH; the node
// terminal with a root@pam ticket otherwise.
func (e *Env) pveAccess(p *pveHosts, host string) (proxmox.HostAccess, error) {
	ep, err := e.pveEndpoint(p.facts, host)
	if err != nil {
		return proxmox.HostAccess{}, err
	}
	acc := proxmox.HostAccess{Endpoint: ep}
	acc.Root = func(ctx context.Context) (*proxmox.Client, error) { return e.pveLogin(ctx, p, host) }
	if hp, _ := e.Layout().Host(host); hp.Provider == inventory.ElasticMetal {
		return acc, nil
	}
	pem, err := e.State.Secrets.Get(secretSSHKey)
	if err != nil {
		return acc, fmt.Errorf("no SSH key (secret %s): %w", secretSSHKey, err)
	}
	if acc.SSHKey, err = ssh.ParsePrivateKey(pem); err != nil {
		return acc, fmt.Errorf("secret %s is not an SSH private key: %w", secretSSHKey, err)
	}
	return acc, nil
}
