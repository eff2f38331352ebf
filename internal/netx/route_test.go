package netx

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// echoServer answers each line it reads, on loopback.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

// testSSHD is an sshd on loopback that serves direct-tcpip channels by
// dialing targets[host:port] (so a test can name private addresses).
type testSSHD struct {
	addr     string
	hostKey  ssh.PublicKey
	conns    atomic.Int32 // SSH connections accepted
	channels atomic.Int32 // direct-tcpip channels opened
	mu       sync.Mutex
	live     []net.Conn
}

func startSSHD(t *testing.T, targets map[string]string) *testSSHD {
	t.Helper()
	_, hk, _ := ed25519.GenerateKey(nil)
	signer, _ := ssh.NewSignerFromKey(hk)
	cfg := &ssh.ServerConfig{NoClientAuth: true}
	cfg.AddHostKey(signer)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &testSSHD{addr: ln.Addr().String(), hostKey: signer.PublicKey()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.live = append(s.live, c)
			s.mu.Unlock()
			go s.serve(c, cfg, targets)
		}
	}()
	return s
}

func (s *testSSHD) serve(c net.Conn, cfg *ssh.ServerConfig, targets map[string]string) {
	_, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	s.conns.Add(1)
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		var req struct {
			Host       string
			Port       uint32
			OriginIP   string
			OriginPort uint32
		}
		if nc.ChannelType() != "direct-tcpip" || ssh.Unmarshal(nc.ExtraData(), &req) != nil {
			nc.Reject(ssh.Prohibited, "open failed")
			continue
		}
		target, ok := targets[net.JoinHostPort(req.Host, strconv.Itoa(int(req.Port)))]
		if target == prohibited {
			nc.Reject(ssh.Prohibited, "open failed")
			continue
		}
		if !ok {
			nc.Reject(ssh.ConnectionFailed, "Connection refused")
			continue
		}
		tc, err := net.Dial("tcp", target)
		if err != nil {
			nc.Reject(ssh.ConnectionFailed, "Connection refused")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			tc.Close()
			continue
		}
		s.channels.Add(1)
		go ssh.DiscardRequests(creqs)
		go func() { io.Copy(ch, tc); ch.Close() }()
		go func() { io.Copy(tc, ch); tc.Close() }()
	}
}

// kill drops every connection the sshd holds, as a host reboot would.
func (s *testSSHD) kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.live {
		c.Close()
	}
	s.live = nil
}

func (s *testSSHD) jump(key string) Jump {
	return Jump{Key: key, Address: s.addr, Config: &ssh.ClientConfig{User: "root", HostKeyCallback: ssh.FixedHostKey(s.hostKey)}}
}

func mustEcho(t *testing.T, d *Dialer, address string) {
	t.Helper()
	c, err := d.DialContext(context.Background(), "tcp", address)
	if err != nil {
		t.Fatalf("dial %s: %v", address, err)
	}
	defer c.Close()
	io.WriteString(c, "ping\n")
	if got, err := bufio.NewReader(c).ReadString('\n'); err != nil || got != "ping\n" {
		t.Fatalf("through the jump: %q %v", got, err)
	}
}

const vm = "10.20.0.50:50000"

// prohibited as a target makes the test sshd refuse the channel by policy.
const prohibited = "prohibited"

// A candidate that cannot be used yet (no address known) is skipped with its
// reason, and a host refusing to forward by policy says so in one sentence
// that names it and the destination.
func TestRouteSkipsUnusableJumpsAndNamesARefusal(t *testing.T) {
	sshd := startSSHD(t, map[string]string{vm: echoServer(t), "10.20.0.51:50000": prohibited})
	unknown := Jump{Key: "pve0", Err: errors.New("no public address is known for pve0")}
	d := Direct().WithRoute(RouterFunc(func(string) []Jump { return []Jump{unknown, sshd.jump("pve1")} }), time.Second)
	defer d.Close()
	mustEcho(t, d, vm)
	_, err := d.DialContext(context.Background(), "tcp", "10.20.0.51:50000")
	var fr *ForwardRefusedError
	var oc *ssh.OpenChannelError
	if !errors.As(err, &fr) || fr.Jump != "pve1" || fr.Address != "10.20.0.51:50000" || !errors.As(err, &oc) || oc.Reason != ssh.Prohibited {
		t.Fatalf("a refused forward: %v, want a ForwardRefusedError from pve1 over the sshd's refusal", err)
	}
	if !strings.Contains(err.Error(), "no public address is known for pve0") {
		t.Errorf("the unusable candidate's reason is missing: %v", err)
	}
}

func TestRouteSharesOneSSHConnection(t *testing.T) {
	sshd := startSSHD(t, map[string]string{vm: echoServer(t)})
	d := Direct().WithRoute(RouterFunc(func(string) []Jump { return []Jump{sshd.jump("pve1")} }), time.Second)
	defer d.Close()
	mustEcho(t, d, vm)
	mustEcho(t, d, vm)
	if sshd.conns.Load() != 1 || sshd.channels.Load() != 2 {
		t.Fatalf("%d SSH connections for %d channels, want 1 for 2", sshd.conns.Load(), sshd.channels.Load())
	}
	// The host restarted: the shared connection is broken, and the next
	// dial connects again.
	sshd.kill()
	mustEcho(t, d, vm)
	if sshd.conns.Load() != 2 {
		t.Fatalf("%d SSH connections after the host dropped the first, want 2", sshd.conns.Load())
	}
}

func TestRouteFallsBackFromDeadJumps(t *testing.T) {
	// A dark host: accepts, then says nothing.
	dark, _ := net.Listen("tcp", "127.0.0.1:0")
	defer dark.Close()
	go func() {
		for {
			c, err := dark.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held silent until the listener closes
		}
	}()
	// A host that is gone: nothing listens.
	gone, _ := net.Listen("tcp", "127.0.0.1:0")
	goneAddr := gone.Addr().String()
	gone.Close()
	live := startSSHD(t, map[string]string{vm: echoServer(t)})
	cfg := live.jump("").Config
	jumps := []Jump{{Key: "dark", Address: dark.Addr().String(), Config: cfg}, {Key: "gone", Address: goneAddr, Config: cfg}, live.jump("live")}
	d := Direct().WithRoute(RouterFunc(func(string) []Jump { return jumps }), 300*time.Millisecond)
	defer d.Close()
	start := time.Now()
	mustEcho(t, d, vm)
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("fallback took %v: the dark jump held the dial", took)
	}
	if live.channels.Load() != 1 {
		t.Fatalf("live jump opened %d channels", live.channels.Load())
	}
	// The hosts found unreachable are tried last for a while: the next dial
	// does not wait on the dark one again.
	start = time.Now()
	mustEcho(t, d, vm)
	if took := time.Since(start); took > 250*time.Millisecond {
		t.Fatalf("the second dial took %v: the dark jump was tried first again", took)
	}

	// A wrong host key is not a working jump either.
	other := startSSHD(t, nil)
	bad := Jump{Key: "impostor", Address: other.addr, Config: cfg} // pins live's key
	d2 := Direct().WithRoute(RouterFunc(func(string) []Jump { return []Jump{bad} }), time.Second)
	defer d2.Close()
	if _, err := d2.DialContext(context.Background(), "tcp", vm); err == nil {
		t.Fatal("a host with another key was used as a jump")
	}
}

// In simulation the SSH hop goes through the simulator's map, a
// destination that is not simulated is refused before any jump is asked,
// and the jump's own refusal reaches the caller.
func TestRouteInSimulation(t *testing.T) {
	sshd := startSSHD(t, map[string]string{vm: echoServer(t)})
	admin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"entries":[{"address":"198.51.100.11:22","loopback":%q}]}`, sshd.addr)
	}))
	defer admin.Close()
	sd, err := Simulated(admin.URL)
	if err != nil {
		t.Fatal(err)
	}
	j := sshd.jump("pve1")
	j.Address = "198.51.100.11:22"
	d := sd.WithRoute(RouterFunc(func(string) []Jump { return []Jump{j} }), time.Second)
	defer d.Close()
	if _, err := sd.DialContext(context.Background(), "tcp", vm); err == nil {
		t.Fatal("the private address was dialable without the route")
	}
	mustEcho(t, d, vm)
	var re *RefusedError
	if _, err := d.DialContext(context.Background(), "tcp", "8.8.8.8:53"); !errors.As(err, &re) {
		t.Fatalf("8.8.8.8 through a jump: %v, want refused", err)
	}
	var oc *ssh.OpenChannelError
	if _, err := d.DialContext(context.Background(), "tcp", "10.20.0.99:50000"); !errors.As(err, &oc) || oc.Reason != ssh.ConnectionFailed {
		t.Fatalf("unserved private address: %v, want the jump's connect failed", err)
	}
	if sshd.conns.Load() != 1 {
		t.Fatalf("%d SSH connections, want 1", sshd.conns.Load())
	}
	off := sd.WithRoute(RouterFunc(func(string) []Jump { return []Jump{{Key: "x", Address: "51.15.0.1:22", Config: j.Config}} }), time.Second)
	defer off.Close()
	if _, err := off.DialContext(context.Background(), "tcp", vm); !errors.As(err, &re) {
		t.Fatalf("a jump host outside the simulation: %v, want refused", err)
	}
}
