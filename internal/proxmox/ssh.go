package proxmox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"golang.org/x/crypto/ssh"
)

// dialSSH opens an SSH connection to ep as root with key, the host key
// pinned by SSHConfig.
func dialSSH(ctx context.Context, d Dialer, pins PinStore, ep Endpoint, key ssh.Signer) (*ssh.Client, error) {
	addr := SSHAddress(ep)
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("failed to reach SSH of %s at %s: %w", ep.Node, addr, err)
	}
	cfg := SSHConfig(pins, ep.Node, addr, key)
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err != nil {
		conn.Close()
		var pin *PinMismatchError
		if errors.As(err, &pin) {
			return nil, pin
		}
		return nil, fmt.Errorf("SSH to %s at %s: %w", ep.Node, addr, err)
	}
	_ = conn.SetDeadline(time.Time{})
	return ssh.NewClient(c, chans, reqs), nil
}

// SSHAddress is where host ep's sshd answers: its public address, port 22.
func SSHAddress(ep Endpoint) string { return net.JoinHostPort(ep.Address, "22") }

// SSHConfig is how tripod logs in to node's sshd at addr: as root with key,
// the host key pinned under "<node>.ssh" like the API certificate: trusted
// on first use (the first contact is right after the install), refused with
// a PinMismatchError when it changes. Every SSH connection to a host uses it:
// the fleet's commands and the operator's route to the private network. A
// dry run's pins (DryPins) keep what it trusts in memory.
func SSHConfig(pins PinStore, node, addr string, key ssh.Signer) *ssh.ClientConfig {
	pinKey := node + ".ssh"
	return &ssh.ClientConfig{
		User: "root",
		Auth: []ssh.AuthMethod{ssh.PublicKeys(key)},
		HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error {
			got := ssh.FingerprintSHA256(k)
			pin, err := pins.Pin(pinKey)
			switch {
			case err != nil:
				return err
			case pin == "":
				return pins.SetPin(pinKey, got)
			case pin != got:
				return &PinMismatchError{Node: node, Address: addr, What: "SSH host key", Expected: pin, Presented: got, Where: pins.Where(pinKey)}
			}
			return nil
		},
		Timeout: 30 * time.Second,
	}
}

// runSSH runs cmd in a new session; a non-zero exit is a status, not an
// error. The context ends the session.
func runSSH(ctx context.Context, c *ssh.Client, cmd string) (stdout, stderr string, exit int, err error) {
	sess, err := c.NewSession()
	if err != nil {
		return "", "", -1, notRun(err)
	}
	defer sess.Close()
	var o, e bytes.Buffer
	sess.Stdout, sess.Stderr = &o, &e
	done := make(chan error, 1)
	go func() { done <- sess.Run(cmd) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = sess.Signal(ssh.SIGKILL)
		_ = sess.Close()
		<-done // the session's copies into o and e are over
		return o.String(), e.String(), -1, ctx.Err()
	}
	var ee *ssh.ExitError
	if errors.As(err, &ee) {
		return o.String(), e.String(), ee.ExitStatus(), nil
	}
	if err != nil {
		return o.String(), e.String(), -1, err
	}
	return o.String(), e.String(), 0, nil
}
