package netx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
)

// Jump is one SSH host a destination can be reached through, the way
// `ssh -J` reaches it: a direct-tcpip channel of an SSH connection to the
// host.
type Jump struct {
	// Key names the host: dials through jumps with one key share one SSH
	// connection. "" means Address.
	Key string
	// Address is the host's SSH endpoint ("198.51.100.11:22"). It is dialed
	// directly, through the simulator's map in simulation.
	Address string
	// Config is the user, the authentication and the pinned host key.
	Config *ssh.ClientConfig
	// Err, when set, says why this host cannot be used as a jump yet (its
	// public address is not known): it is reported as this candidate's
	// attempt, and nothing is dialed.
	Err error
}

func (j Jump) key() string {
	if j.Key != "" {
		return j.Key
	}
	return j.Address
}

// Router says, for a destination ("10.20.0.11:50000"), which jump hosts
// reach it, best first: hosts in the target's own AZ, then hosts in the
// others. No jumps means the destination is dialed directly. netx knows
// nothing of inventories; the caller's Router does.
type Router interface {
	Jumps(address string) []Jump
}

// RouterFunc is a Router in one function.
type RouterFunc func(address string) []Jump

// Jumps calls f.
func (f RouterFunc) Jumps(address string) []Jump { return f(address) }

// DefaultJumpAttempt bounds one attempt through one jump host when
// WithRoute is given no timeout.
const DefaultJumpAttempt = 10 * time.Second

// route is a dialer's jump hosts and the SSH connections it holds to them.
type route struct {
	r       Router
	attempt time.Duration
	mu      sync.Mutex
	jumps   map[string]*jumpConn
}

// jumpConn is the one SSH connection to a jump host, shared by every
// channel through it. mu is held while connecting, so concurrent dials wait
// for one handshake instead of opening several.
type jumpConn struct {
	mu     sync.Mutex
	client *ssh.Client
	// downUntil (Unix nanoseconds) is set when connecting failed: until
	// then the host is tried after the others, so a dark host costs one
	// bounded attempt every downFor rather than one per dial.
	downUntil atomic.Int64
}

// downFor is how many attempts' time a host that could not be connected
// to is tried last.
const downFor = 10

// WithRoute returns a dialer like d (same simulator map, same base dialer)
// that reaches the destinations r names jumps for through SSH. attempt
// bounds each try through one jump host (TCP connect, SSH handshake and
// channel open), so a dark host costs at most that before the next
// candidate is tried; 0 means DefaultJumpAttempt. Close the returned dialer
// to close its SSH connections.
func (d *Dialer) WithRoute(r Router, attempt time.Duration) *Dialer {
	if attempt <= 0 {
		attempt = DefaultJumpAttempt
	}
	return &Dialer{base: d.base, sim: d.sim, loopbackOnly: d.loopbackOnly, route: &route{r: r, attempt: attempt, jumps: map[string]*jumpConn{}}}
}

// Close closes the SSH connections a routed dialer holds. The dialer stays
// usable: the next dial connects again.
func (d *Dialer) Close() error {
	if d.route == nil {
		return nil
	}
	d.route.mu.Lock()
	jumps := d.route.jumps
	d.route.jumps = map[string]*jumpConn{}
	d.route.mu.Unlock()
	for _, jc := range jumps {
		jc.mu.Lock()
		if jc.client != nil {
			jc.client.Close()
			jc.client = nil
		}
		jc.mu.Unlock()
	}
	return nil
}

// dialVia reaches address through the first jump that works.
func (d *Dialer) dialVia(ctx context.Context, address string, jumps []Jump) (net.Conn, error) {
	if d.sim != nil {
		// Simulated hosts forward only to simulated addresses; a real public
		// address is refused here, before any jump is asked.
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return nil, fmt.Errorf("failed to dial %s: %w", address, err)
		}
		if a, perr := netip.ParseAddr(host); perr == nil && !isLoopback(host) && !isPrivateOrDoc(a.String()) {
			return nil, &RefusedError{Address: address}
		}
	}
	var errs []error
	for _, j := range d.route.upFirst(jumps) {
		if j.Err != nil {
			errs = append(errs, fmt.Errorf("through %s: %w", j.key(), j.Err))
			continue
		}
		c, err := d.viaJump(ctx, address, j)
		if err == nil {
			return c, nil
		}
		var oc *ssh.OpenChannelError
		if errors.As(err, &oc) && oc.Reason == ssh.Prohibited {
			err = &ForwardRefusedError{Jump: j.key(), Address: address, Err: oc}
		}
		errs = append(errs, fmt.Errorf("through %s (%s): %w", j.key(), j.Address, err))
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("failed to reach %s through SSH: %w", address, errors.Join(errs...))
}

// viaJump opens a channel to address through one jump host, connecting to
// it when needed, and re-dialing once a shared connection found broken.
func (d *Dialer) viaJump(ctx context.Context, address string, j Jump) (net.Conn, error) {
	jc := d.route.conn(j.key())
	for {
		client, fresh, err := d.jumpClient(ctx, jc, j)
		if err != nil {
			return nil, err
		}
		actx, cancel := context.WithTimeout(ctx, d.route.attempt)
		c, err := client.DialContext(actx, "tcp", address)
		cancel()
		if err == nil {
			return c, nil
		}
		var refused *ssh.OpenChannelError
		if errors.As(err, &refused) || ctx.Err() != nil {
			return nil, err // the host answered (it refuses), or the caller gave up
		}
		if errors.Is(err, context.DeadlineExceeded) && alive(client, d.route.attempt) {
			return nil, err // the host is there; the target is slow or dark
		}
		jc.drop(client)
		if fresh {
			return nil, err
		}
	}
}

// ForwardRefusedError is a jump host's sshd refusing by policy to open a
// direct-tcpip channel (administratively prohibited: AllowTcpForwarding no,
// or a PermitOpen that leaves the destination out). Asking again does not
// help; the host's configuration must change.
type ForwardRefusedError struct {
	Jump    string // the host's key
	Address string // the destination
	Err     *ssh.OpenChannelError
}

func (e *ForwardRefusedError) Error() string {
	return fmt.Sprintf("%s refused to forward to %s (%s): its sshd does not allow TCP forwarding there; allow it (AllowTcpForwarding yes, and PermitOpen if set) or reach the private network directly",
		e.Jump, e.Address, e.Err.Error())
}

// Unwrap is the sshd's refusal.
func (e *ForwardRefusedError) Unwrap() error { return e.Err }

// upFirst is jumps with the hosts recently found unreachable moved after
// the others, each group in the Router's order.
func (r *route) upFirst(jumps []Jump) []Jump {
	now := time.Now().UnixNano()
	var up, down []Jump
	for _, j := range jumps {
		if j.Err == nil && r.conn(j.key()).downUntil.Load() > now {
			down = append(down, j)
		} else {
			up = append(up, j)
		}
	}
	return append(up, down...)
}

func (r *route) conn(key string) *jumpConn {
	r.mu.Lock()
	defer r.mu.Unlock()
	jc := r.jumps[key]
	if jc == nil {
		jc = &jumpConn{}
		r.jumps[key] = jc
	}
	return jc
}

// jumpClient returns the shared connection to j, connecting if there is
// none; fresh says it was made for this call.
func (d *Dialer) jumpClient(ctx context.Context, jc *jumpConn, j Jump) (*ssh.Client, bool, error) {
	jc.mu.Lock()
	defer jc.mu.Unlock()
	if jc.client != nil {
		return jc.client, false, nil
	}
	if j.Config == nil {
		return nil, false, errors.New("no SSH client configuration for the jump host")
	}
	actx, cancel := context.WithTimeout(ctx, d.route.attempt)
	defer cancel()
	conn, err := d.dialDirect(actx, "tcp", j.Address)
	if err != nil {
		jc.markDown(d.route.attempt)
		return nil, false, err
	}
	// The handshake has no context: a deadline bounds it (a dark host
	// accepts and then says nothing), and ctx cancels it.
	deadline, _ := actx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(actx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	sc, chans, reqs, err := ssh.NewClientConn(conn, j.Address, j.Config)
	stop()
	if err != nil {
		conn.Close()
		jc.markDown(d.route.attempt)
		return nil, false, fmt.Errorf("failed to open SSH to %s: %w", j.Address, err)
	}
	jc.downUntil.Store(0)
	_ = conn.SetDeadline(time.Time{})
	client := ssh.NewClient(sc, chans, reqs)
	jc.client = client
	go func() { _ = client.Wait(); jc.drop(client) }()
	return client, true, nil
}

// markDown puts the host last for downFor attempts.
func (jc *jumpConn) markDown(attempt time.Duration) {
	jc.downUntil.Store(time.Now().Add(downFor * attempt).UnixNano())
}

// drop forgets client if it is still the shared one, and closes it.
func (jc *jumpConn) drop(client *ssh.Client) {
	jc.mu.Lock()
	if jc.client == client {
		jc.client = nil
	}
	jc.mu.Unlock()
	client.Close()
}

// alive asks the server for a keepalive reply within d: a channel open that
// timed out tells apart a slow target from a dead connection this way.
func alive(client *ssh.Client, d time.Duration) bool {
	done := make(chan error, 1)
	go func() {
		_, _, err := client.SendRequest("keepalive@openssh.com", true, nil)
		done <- err
	}()
	select {
	case err := <-done:
		return err == nil
	case <-time.After(d):
		return false
	}
}
