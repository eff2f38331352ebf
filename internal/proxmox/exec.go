package proxmox

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"

	"golang.org/x/crypto/ssh"
)

// Commander runs a shell command on a Proxmox VE host, for what the API
// lacks (pveceph install, CRUSH edits, ping). exit is the command's status;
// err means the command could not be run at all.
type Commander interface {
	Exec(ctx context.Context, host, cmd string) (stdout, stderr string, exit int, err error)
}

// ErrNotRun marks a command that was never started (the host could not be
// reached, or refused the session or the terminal): repeating it is as safe
// as the first try. Any other error leaves open whether the command ran.
var ErrNotRun = errors.New("the command was not started")

func notRun(err error) error {
	if err == nil || errors.Is(err, ErrNotRun) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrNotRun, err)
}

// HostAccess is how Shells reaches one host.
type HostAccess struct {
	Endpoint Endpoint
	// SSHKey is root's key; nil when the host has no SSH, so the node
	// terminal is used.
	SSHKey ssh.Signer
	// Root returns a client holding a root@pam ticket, for the terminal.
	Root func(ctx context.Context) (*Client, error)
}

// Shells is the Commander over SSH where a host offers it and the API's
// node terminal where it does not (or where SSH refuses connections). SSH
// connections are kept per host for the run.
type Shells struct {
	Config Config
	Access func(ctx context.Context, host string) (HostAccess, error)

	mu  sync.Mutex
	ssh map[string]*ssh.Client
}

// Exec runs cmd on host. An error wrapping ErrNotRun means cmd never
// started.
func (s *Shells) Exec(ctx context.Context, host, cmd string) (string, string, int, error) {
	acc, err := s.Access(ctx, host)
	if err != nil {
		return "", "", -1, notRun(err)
	}
	if acc.SSHKey != nil {
		c, err := s.sshClient(ctx, acc)
		if err == nil {
			out, errOut, exit, err := runSSH(ctx, c, cmd)
			var refused *ssh.OpenChannelError
			if err != nil && ctx.Err() == nil && !errors.As(err, &refused) {
				// A broken connection: the next command dials again. A
				// refused channel (sshd busy) came over a working one,
				// which other commands are using: it stays.
				s.drop(host, c)
			}
			return out, errOut, exit, err
		}
		if !errors.Is(err, syscall.ECONNREFUSED) || acc.Root == nil {
			return "", "", -1, notRun(err)
		}
		// sshd is off (a reinstall with SSH disabled): the terminal still works.
	}
	if acc.Root == nil {
		return "", "", -1, notRun(fmt.Errorf("no way to run commands on %s: no SSH key and no root@pam login", host))
	}
	c, err := acc.Root(ctx)
	if err != nil {
		return "", "", -1, notRun(err)
	}
	out, exit, err := c.Terminal(ctx, cmd)
	return out, "", exit, err
}

func (s *Shells) sshClient(ctx context.Context, acc HostAccess) (*ssh.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.ssh[acc.Endpoint.Node]; c != nil {
		return c, nil
	}
	c, err := dialSSH(ctx, s.Config.Dialer, s.Config.Pins, acc.Endpoint, acc.SSHKey)
	if err != nil {
		return nil, err
	}
	if s.ssh == nil {
		s.ssh = map[string]*ssh.Client{}
	}
	s.ssh[acc.Endpoint.Node] = c
	return c, nil
}

func (s *Shells) drop(host string, c *ssh.Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ssh[host] == c {
		delete(s.ssh, host)
		_ = c.Close()
	}
}

// Close closes the kept SSH connections.
func (s *Shells) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for h, c := range s.ssh {
		_ = c.Close()
		delete(s.ssh, h)
	}
}
