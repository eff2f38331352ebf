package proxmox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/tripod-dev/tripod/internal/retry"
)

// SSHProbe is what NEW connections to a host's sshd find, the way a client
// from here would: whether root's key logs in, and whether the server
// offers password login at all (read from the methods it lists after the
// key, without sending any password).
type SSHProbe struct {
	KeyWorks        bool
	KeyErr          error // why the key did not log in
	PasswordOffered bool
}

// errProbeOnly ends the password probe: it never sends a password.
var errProbeOnly = errors.New("probe: no password is sent")

// ProbeSSH opens two new SSH connections to host, never the kept ones, so
// what it reports is what the next client gets. The host key is pinned as
// for every connection.
func (f *Fleet) ProbeSSH(ctx context.Context, host string) (SSHProbe, error) {
	acc, err := f.access(host)
	if err != nil {
		return SSHProbe{}, err
	}
	if acc.SSHKey == nil {
		return SSHProbe{}, fmt.Errorf("no SSH key for %s", host)
	}
	var p SSHProbe
	ctx1, cancel := context.WithTimeout(ctx, f.cfg.Timing.Attempt(20*time.Second))
	c, err := dialSSH(ctx1, f.cfg.Dialer, f.cfg.Pins, acc.Endpoint, acc.SSHKey)
	cancel()
	if err != nil {
		var pin *PinMismatchError
		if errors.As(err, &pin) {
			return p, pin
		}
		p.KeyErr = err
	} else {
		p.KeyWorks = true
		_ = c.Close()
	}
	ctx2, cancel := context.WithTimeout(ctx, f.cfg.Timing.Attempt(20*time.Second))
	defer cancel()
	p.PasswordOffered, err = passwordOffered(ctx2, f, acc)
	return p, err
}

// passwordOffered logs in with no key and a password callback that sends
// nothing: the client calls it only if the server lists "password".
func passwordOffered(ctx context.Context, f *Fleet, acc HostAccess) (bool, error) {
	addr := SSHAddress(acc.Endpoint)
	conn, err := f.cfg.Dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false, fmt.Errorf("failed to reach SSH of %s at %s: %w", acc.Endpoint.Node, addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	offered := false
	cfg := SSHConfig(f.cfg.Pins, acc.Endpoint.Node, addr, acc.SSHKey)
	cfg.Auth = []ssh.AuthMethod{ssh.PasswordCallback(func() (string, error) {
		offered = true
		return "", errProbeOnly
	})}
	c, _, _, err := ssh.NewClientConn(conn, addr, cfg)
	if err == nil {
		_ = c.Close() // a server that lets anyone in: password or not, report what it listed
		return offered, nil
	}
	var pin *PinMismatchError
	if errors.As(err, &pin) {
		return false, pin
	}
	if ctx.Err() != nil {
		return false, fmt.Errorf("SSH of %s at %s did not answer: %w", acc.Endpoint.Node, addr, ctx.Err())
	}
	return offered, nil
}

// ProbeAPI opens a new connection to host's API by the route the fleet's
// clients take and completes its TLS handshake. A timeout or a refusal is
// the answer (what a firewall that locked tripod out looks like) and is not
// asked again; a jump host too busy to open the channel never asked, so
// the probe is repeated, up to 8 times.
func (f *Fleet) ProbeAPI(ctx context.Context, host string) error {
	ep, err := f.endpoints.Endpoint(host)
	if err != nil {
		return err
	}
	return retry.Do(ctx, retry.Policy{
		API: "proxmox", Attempts: 8, PerAttempt: f.cfg.Timing.Attempt(20 * time.Second),
		Initial: f.cfg.Timing.Interval(time.Second), Max: f.cfg.Timing.Interval(10 * time.Second),
		Classify: busyOnly, Counter: f.cfg.Retries,
	}, func(ctx context.Context) error {
		_, err := ProbeCert(ctx, f.cfg.Dialer, ep)
		return err
	})
}

// busyOnly retries what never reached the host (retry.Busy) and nothing else.
func busyOnly(err error) retry.Decision {
	if retry.Busy(err) {
		return retry.Decision{Class: retry.Transient}
	}
	return retry.Decision{Class: retry.Fatal}
}
