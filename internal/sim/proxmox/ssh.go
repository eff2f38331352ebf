package proxmox

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// startSSH opens the host's sshd: its own host key, root only, public keys
// from the install's authorized_keys only, exec requests and direct-tcpip
// forwards onto the VLAN (ssh_forward.go) only.
func (c *Cluster) startSSH(n *node) error {
	signer, err := ssh.NewSignerFromKey(ed25519.NewKeyFromSeed(n.SSHSeed))
	if err != nil {
		return fmt.Errorf("failed to make SSH host key for %s: %w", n.Info.Hostname, err)
	}
	var authorized [][]byte
	for _, line := range n.Info.SSHKeys {
		if k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line)); err == nil {
			authorized = append(authorized, k.Marshal())
		}
	}
	cfg := &ssh.ServerConfig{
		ServerVersion: "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u5",
		PublicKeyCallback: func(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if meta.User() == "root" {
				for _, a := range authorized {
					if bytes.Equal(a, key.Marshal()) {
						return &ssh.Permissions{}, nil
					}
				}
			}
			return nil, fmt.Errorf("public key of %s not authorized", meta.User())
		},
	}
	cfg.AddHostKey(signer)
	ln, err := c.env.Listen(net.JoinHostPort(n.Info.PublicIP, "22"), n.Info.Placement, "ssh")
	if err != nil {
		return fmt.Errorf("failed to start SSH on %s: %w", n.Info.Hostname, err)
	}
	ln = c.filtered(ln, n.Info.Hostname, 22)
	n.sshLn, n.sshCfg = ln, cfg
	host, password := n.Info.Hostname, n.Info.RootPassword
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go c.serveSSH(host, c.sshdConfigFor(host, cfg, password), conn)
		}
	}()
	return nil
}

func (c *Cluster) serveSSH(host string, cfg *ssh.ServerConfig, conn net.Conn) {
	sconn, chans, reqs, err := ssh.NewServerConn(conn, cfg)
	if err != nil {
		_ = conn.Close()
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		_ = sconn.Wait()
		cancel()
	}()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		switch nc.ChannelType() {
		case "session":
			go c.sshSession(ctx, host, nc)
		case "direct-tcpip":
			go c.sshForward(ctx, host, nc)
		default:
			_ = nc.Reject(ssh.UnknownChannelType, "unknown channel type")
		}
	}
}

// sshSession serves one session channel: env and pty requests are accepted
// and ignored, a shell is refused, an exec runs through the interpreter and
// reports its exit status.
func (c *Cluster) sshSession(ctx context.Context, host string, nc ssh.NewChannel) {
	if c.env.Faults.DecideOn(simcore.APISSH, "session", simcore.TransportSSH).SSH() == simcore.MoveRefuse {
		// sshd too busy to open a session (MaxSessions, MaxStartups): the
		// client knows its command never started.
		c.env.Log.Record(simcore.APISSH, "REFUSED session", false, "-")
		_ = nc.Reject(ssh.ResourceShortage, "too many sessions (simulated fault)")
		return
	}
	ch, reqs, err := nc.Accept()
	if err != nil {
		return
	}
	defer ch.Close()
	for req := range reqs {
		switch req.Type {
		case "exec":
			var payload struct{ Command string }
			if err := ssh.Unmarshal(req.Payload, &payload); err != nil {
				_ = req.Reply(false, nil)
				continue
			}
			_ = req.Reply(true, nil)
			c.sshExec(ctx, host, payload.Command, ch)
			return
		case "env", "pty-req", "window-change":
			_ = req.Reply(true, nil)
		default:
			_ = req.Reply(false, nil)
		}
	}
}

// sshExec runs one command through the fault model: one that hangs, or one
// whose command ran and whose answer was lost (the client sees no exit
// status either way, and cannot tell which).
func (c *Cluster) sshExec(ctx context.Context, host, cmd string, ch ssh.Channel) {
	route := cmd
	if f := strings.Fields(cmd); len(f) > 0 {
		route = f[0]
	}
	switch f := c.env.Faults.DecideOn(simcore.APISSH, route, simcore.TransportSSH); f.SSH() {
	case simcore.MoveHang:
		c.env.Log.Record(simcore.APISSH, "DROPPED", false, "-")
		sshHang(ctx, f.HangFor, ch)
		return
	case simcore.MoveLose:
		c.newShell(host).run(ctx, cmd, io.Discard, io.Discard)
		sshHang(ctx, f.HangFor, ch)
		return
	}
	status := c.newShell(host).run(ctx, cmd, ch, ch.Stderr())
	_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(status)}))
}

// sshHang says nothing until d passes, the server stops, or the client
// gives up and closes the channel.
func sshHang(ctx context.Context, d time.Duration, ch ssh.Channel) {
	gone := make(chan struct{})
	go func() { io.Copy(io.Discard, ch); close(gone) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-gone:
	}
}
