package netx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Dialer opens every connection tripod makes.
type Dialer struct {
	base  net.Dialer
	sim   *simMap // nil for real services
	route *route  // nil: every destination is dialed directly
	// loopbackOnly refuses every destination off 127.0.0.0/8 (Loopback).
	loopbackOnly bool
}

// simMap is the simulator's address map as last read. Dialers derived with
// WithRoute share it.
type simMap struct {
	adminURL string // the simulator's admin base URL (loopback)
	mu       sync.Mutex
	mapping  map[string]string // simulated "host:port" -> loopback "127.0.0.1:port"
	roots    *x509.CertPool    // the simulator's CA, trusted for simulated public HTTPS (Image Factory)
	fetched  time.Time
}

// Direct is the dialer for real services.
func Direct() *Dialer {
	return &Dialer{base: net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}}
}

// Loopback is the dialer for what a simulated run reaches that the
// simulator does not serve (a local S3 server holding the run's remote
// state): it dials loopback addresses and refuses every other.
func Loopback() *Dialer {
	return &Dialer{base: net.Dialer{Timeout: 10 * time.Second}, loopbackOnly: true}
}

// Simulated is the dialer for the simulator whose admin endpoint is
// adminURL. adminURL itself must be on loopback.
func Simulated(adminURL string) (*Dialer, error) {
	u := strings.TrimSuffix(adminURL, "/")
	host, err := hostOfURL(u)
	if err != nil || !isLoopback(host) {
		return nil, fmt.Errorf("simulator admin URL %q is not on loopback (127.0.0.0/8); refusing to use it", adminURL)
	}
	d := &Dialer{base: net.Dialer{Timeout: 10 * time.Second}, sim: &simMap{adminURL: u, mapping: map[string]string{}}}
	if err := d.refresh(context.Background()); err != nil {
		return nil, err
	}
	return d, nil
}

// Simulation reports whether d maps addresses onto a simulator.
func (d *Dialer) Simulation() bool { return d.sim != nil }

// RefusedError is a destination simulation will not dial.
type RefusedError struct{ Address string }

func (e *RefusedError) Error() string {
	return fmt.Sprintf("simulation: refusing to dial %s: it is not a simulated address and not on loopback", e.Address)
}

// DialContext dials address: through an SSH jump host when the dialer's
// route names some for it (WithRoute), else directly; in simulation every
// direct dial, the SSH hop included, goes through the simulator's map.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if d.route != nil {
		if jumps := d.route.r.Jumps(address); len(jumps) > 0 {
			return d.dialVia(ctx, address, jumps)
		}
	}
	return d.dialDirect(ctx, network, address)
}

// dialDirect dials address without a jump host.
func (d *Dialer) dialDirect(ctx context.Context, network, address string) (net.Conn, error) {
	if d.loopbackOnly {
		if host, _, err := net.SplitHostPort(address); err != nil || !isLoopback(host) {
			return nil, &RefusedError{Address: address}
		}
	}
	if d.sim == nil {
		return d.base.DialContext(ctx, network, address)
	}
	target, err := d.resolve(ctx, address)
	if err != nil {
		return nil, err
	}
	c, err := d.base.DialContext(ctx, "tcp", target)
	if err != nil && errors.Is(err, syscall.ECONNREFUSED) {
		// A simulated service that restarted (a Talos node leaving
		// maintenance, a reboot) listens on a new loopback port: read the
		// map again and follow it, once.
		if rerr := d.refresh(ctx); rerr == nil {
			if t2, ok := d.lookup(address); ok && t2 != target {
				return d.base.DialContext(ctx, "tcp", t2)
			}
		}
	}
	return c, err
}

// resolve maps a simulated address to its loopback listener, refreshing the
// map once on a miss (endpoints appear as the simulated world changes: a
// server is installed, a VM boots).
func (d *Dialer) resolve(ctx context.Context, address string) (string, error) {
	if t, ok := d.lookup(address); ok {
		return t, nil
	}
	if err := d.refresh(ctx); err != nil {
		return "", err
	}
	if t, ok := d.lookup(address); ok {
		return t, nil
	}
	host, _, err := net.SplitHostPort(address)
	if err == nil && isLoopback(host) {
		return address, nil // the simulator's own listeners
	}
	if err == nil && isPrivateOrDoc(host) {
		// A simulated address that is not (yet) served: what a real network
		// says about a host that is down.
		return "", &net.OpError{Op: "dial", Net: "tcp", Err: connRefused{address}}
	}
	return "", &RefusedError{Address: address}
}

type connRefused struct{ addr string }

func (c connRefused) Error() string {
	return "connect: connection refused (simulated: nothing listens at " + c.addr + ")"
}
func (c connRefused) Timeout() bool   { return false }
func (c connRefused) Temporary() bool { return true }

// Unwrap lets errors.Is(err, syscall.ECONNREFUSED) classify it like the real thing.
func (c connRefused) Unwrap() error { return syscall.ECONNREFUSED }

func (d *Dialer) lookup(address string) (string, bool) {
	d.sim.mu.Lock()
	defer d.sim.mu.Unlock()
	t, ok := d.sim.mapping[address]
	return t, ok
}

type netmap struct {
	Entries []struct {
		Address  string `json:"address"`
		Loopback string `json:"loopback"`
	} `json:"entries"`
	CA string `json:"ca"` // PEM of the simulator's CA
}

func (d *Dialer) refresh(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.sim.adminURL+"/netmap", nil)
	if err != nil {
		return err
	}
	// The admin URL is loopback (checked in Simulated); this client dials
	// only it.
	resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil, DialContext: d.base.DialContext}}).Do(req)
	if err != nil {
		return fmt.Errorf("failed to read the simulator's address map from %s: %w", d.sim.adminURL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("simulator %s answered %s for its address map", d.sim.adminURL, resp.Status)
	}
	var m netmap
	if err := json.Unmarshal(body, &m); err != nil {
		return fmt.Errorf("simulator %s sent an unreadable address map: %w", d.sim.adminURL, err)
	}
	mapping := map[string]string{}
	for _, e := range m.Entries {
		h, _, err := net.SplitHostPort(e.Loopback)
		if err != nil || !isLoopback(h) {
			return fmt.Errorf("simulator maps %s to %s, which is not loopback; refusing the map", e.Address, e.Loopback)
		}
		mapping[e.Address] = e.Loopback
	}
	var roots *x509.CertPool
	if m.CA != "" {
		roots = x509.NewCertPool()
		roots.AppendCertsFromPEM([]byte(m.CA))
	}
	d.sim.mu.Lock()
	d.sim.mapping, d.sim.fetched = mapping, time.Now()
	if roots != nil {
		d.sim.roots = roots
	}
	d.sim.mu.Unlock()
	return nil
}

// PublicRoots is the pool to verify public HTTPS services (the Image
// Factory) with: the system's for real services, the simulator's CA in
// simulation.
func (d *Dialer) PublicRoots() *x509.CertPool {
	if d.sim == nil {
		return nil // nil means the system roots
	}
	d.sim.mu.Lock()
	defer d.sim.mu.Unlock()
	return d.sim.roots
}

// HTTPClient returns a client whose connections go through d, with the given
// TLS configuration (nil: verify against PublicRoots). Proxies from the
// environment are used only for real services.
func (d *Dialer) HTTPClient(tlsConf *tls.Config, timeout time.Duration) *http.Client {
	if tlsConf == nil {
		tlsConf = &tls.Config{RootCAs: d.PublicRoots(), MinVersion: tls.VersionTLS12}
	}
	tr := &http.Transport{
		DialContext:         d.DialContext,
		TLSClientConfig:     tlsConf,
		TLSHandshakeTimeout: 15 * time.Second,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     60 * time.Second,
	}
	if d.sim == nil && !d.loopbackOnly {
		tr.Proxy = http.ProxyFromEnvironment
	}
	return &http.Client{Transport: tr, Timeout: timeout}
}

func hostOfURL(u string) (string, error) {
	rest := u
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	host, _, err := net.SplitHostPort(rest)
	if err != nil {
		return strings.Trim(rest, "[]"), nil
	}
	return host, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

var docRanges = []netip.Prefix{
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("2001:db8::/32"),
}

// isPrivateOrDoc reports whether host is an address the simulator may hand
// out: private ranges (inventories) and documentation ranges (simulated
// public addresses).
func isPrivateOrDoc(host string) bool {
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	if a.IsPrivate() {
		return true
	}
	for _, p := range docRanges {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
