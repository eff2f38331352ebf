package proxmox

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"net"

	"golang.org/x/crypto/ssh"
)

// startSSH opens the host's sshd: its own host key, root only, public keys
// from the install's authorized_keys only, exec requests only.
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
	n.sshLn, n.sshCfg = ln, cfg
	host := n.Info.Hostname
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go c.serveSSH(host, cfg, conn)
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
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "unknown channel type")
			continue
		}
		go c.sshSession(ctx, host, nc)
	}
}

// sshSession serves one session channel: env and pty requests are accepted
// and ignored, a shell is refused, an exec runs through the interpreter and
// reports its exit status.
func (c *Cluster) sshSession(ctx context.Context, host string, nc ssh.NewChannel) {
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
			status := c.newShell(host).run(ctx, payload.Command, ch, ch.Stderr())
			_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(status)}))
			return
		case "env", "pty-req", "window-change":
			_ = req.Reply(true, nil)
		default:
			_ = req.Reply(false, nil)
		}
	}
}
