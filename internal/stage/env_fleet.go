package stage

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/tripod-dev/tripod/internal/proxmox"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/state"
)

// pveTokenID is the API token tripod uses on every host.
const pveTokenID = proxmox.TokenID

// fleet is the run's Proxmox clients, built by the first step that needs
// them. A dry run pins in memory only.
func (e *Env) fleet(st *run.Step) *proxmox.Fleet {
	f, _ := e.pve.get(func() (*proxmox.Fleet, error) {
		f := e.newFleet(e.Dialer, st.DryRun(), st.Facts())
		e.builtFleet.Store(f)
		return f, nil
	})
	return f
}

// newFleet builds the fleet on dialer (tests wrap the one dialer to lose
// answers), with the state's secrets and the servers stage's addresses.
func (e *Env) newFleet(dialer proxmox.Dialer, dryRun bool, facts *run.Facts) *proxmox.Fleet {
	var pins proxmox.PinStore = proxmox.FilePins{Dir: filepath.Join(e.State.Path, "pins")}
	if dryRun {
		pins = &proxmox.DryPins{Base: pins}
	}
	cfg := proxmox.Config{Dialer: dialer, Timing: e.Timing, Retries: e.Retries, Pins: pins}
	return proxmox.NewFleet(cfg, hostEndpoints{facts}, pveCredentials{e})
}

// node is host's entry in the run's fleet.
func (e *Env) node(st *run.Step, host string) *proxmox.Node { return e.fleet(st).Node(host) }

// pveSend sends req through the gate as the one mutation m and waits for
// the task it starts (proxmox.Node.Send on the host req.Client talks to).
func (e *Env) pveSend(ctx context.Context, st *run.Step, m run.Mutation, req proxmox.Request) error {
	if m.API == "" {
		m.API = "proxmox"
	}
	node := e.node(st, req.Client.Node())
	return st.Mutate(ctx, m, func(ctx context.Context) error { return node.Send(ctx, req, st.Progress) })
}

// pveCommand runs an idempotent state-changing command on host through the
// gate (proxmox.Node.Command).
func (e *Env) pveCommand(ctx context.Context, st *run.Step, m run.Mutation, host, cmd string) error {
	m.API = "ssh"
	if m.Detail == "" {
		m.Detail = "`" + cmd + "` on " + host
	}
	return st.Mutate(ctx, m, func(ctx context.Context) error { return e.node(st, host).Command(ctx, cmd) })
}

// pveWait polls check as the named condition every interval for at most
// timeout (both real time, scaled here), reporting progress.
func (e *Env) pveWait(ctx context.Context, st stepProgress, name string, interval, timeout time.Duration, check func(ctx context.Context) (bool, string, error)) error {
	return e.waitFor(ctx, st, name, interval, timeout, 60*time.Second, proxmox.Classify, check)
}

// hostEndpoints finds a host's API at the public address the servers stage
// publishes.
type hostEndpoints struct{ facts *run.Facts }

func (h hostEndpoints) Endpoint(host string) (proxmox.Endpoint, error) {
	f, ok := tableOf(h.facts).Host(host)
	if !ok || f.PublicIP == "" {
		return proxmox.Endpoint{}, fmt.Errorf("no public address is known for %s: the servers and os stages publish it", host)
	}
	return proxmox.Endpoint{Node: host, Address: f.PublicIP}, nil
}

// pveCredentials are the fleet's secrets, from the state directory.
type pveCredentials struct{ e *Env }

func (c pveCredentials) RootPassword(host string) (string, string, error) {
	pw, err := c.e.State.Secrets.Get(secretRootPassword(host))
	if err != nil {
		return "", "", fmt.Errorf("no root password for %s (secret %s): %w", host, secretRootPassword(host), err)
	}
	return string(pw), "secret " + secretRootPassword(host), nil
}

func (c pveCredentials) Token(owner string) (string, error) {
	tok, err := c.e.State.Secrets.Get(secretPVEToken(owner))
	if errors.Is(err, state.ErrNoSecret) {
		return "", fmt.Errorf("no API token for %s (secret %s): the os stage creates it", owner, secretPVEToken(owner))
	}
	return string(tok), err
}

// SSHKey is the cluster's key on every host: the Dedibox install and the
// Elastic Metal install both give it to root.
func (c pveCredentials) SSHKey(string) (ssh.Signer, error) { return c.e.sshKey() }
