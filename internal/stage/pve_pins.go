package stage

import (
	"context"
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/tripod-dev/tripod/internal/proxmox"
	"github.com/tripod-dev/tripod/internal/run"
)

// Certificate pins: trusted on first use after the install, and changed
// later only to a certificate the cluster's CA issued and the cluster's
// record (read from the first host, over its own pin) lists.

// pinHost trusts host's certificate on first use: the first contact after
// the install, before any secret is sent. Later contacts check the pin.
func (e *Env) pinHost(ctx context.Context, st *run.Step, host string) error {
	p := e.pve(st)
	pin, err := p.cfg.Pins.Pin(host)
	if err != nil || pin != "" {
		return err
	}
	ep, err := e.pveEndpoint(p.facts, host)
	if err != nil {
		return err
	}
	var fp string
	err = e.pveRead(ctx, func(ctx context.Context) (err error) {
		fp, err = proxmox.Probe(ctx, e.Dialer, ep)
		return err
	})
	if err != nil {
		return err
	}
	st.Progress("trusting the TLS certificate of %s on first use: %s", host, fp)
	return p.cfg.Pins.SetPin(host, fp)
}

// repinFromCluster accepts a changed certificate only when the first host,
// reached with its own pin and token, vouches for it: a host that joined the
// cluster in an earlier run (and crashed before it was re-pinned) got a
// certificate from the cluster's CA. Anything else is refused.
func (e *Env) repinFromCluster(ctx context.Context, st *run.Step, host string, mismatch *proxmox.PinMismatchError) (*proxmox.Client, error) {
	first := e.firstHost().Name
	if host == first {
		return nil, mismatch
	}
	// The first host's address comes from its servers step, which this
	// step does not need on its usual path: wait for it here.
	if _, _, err := st.Await(ctx, run.On(Servers, first)); err != nil {
		return nil, err
	}
	fp, err := e.clusterFingerprint(ctx, st, first, host)
	if err != nil {
		// Say why the cluster could not vouch: a refusal for a reason
		// (the first host unreachable) must not read as an interception.
		return nil, fmt.Errorf("%w; asking %s for the cluster's record of it failed: %w", mismatch, first, err)
	}
	if fp == "" || fp != mismatch.Presented {
		return nil, mismatch
	}
	if err := e.clusterIssued(ctx, st, host, fp); err != nil {
		return nil, fmt.Errorf("%w; the cluster lists it, but %v", mismatch, err)
	}
	if err := e.pve(st).cfg.Pins.SetPin(host, fp); err != nil {
		return nil, err
	}
	e.pve(st).forget(host)
	st.Warn("%s presents a certificate signed by the cluster (it joined in an earlier run); re-pinned it from %s: %s", host, first, fp)
	return e.pveRoot(ctx, st, host)
}

// clusterIssued checks that host presents the certificate fp and that the
// CA which issued the first host's pinned certificate issued it too: what a
// join gives a member. A self-signed or otherwise issued certificate is
// refused even when the cluster's record lists it (a botched renewal shows
// there too).
func (e *Env) clusterIssued(ctx context.Context, st *run.Step, host, fp string) error {
	p := e.pve(st)
	first := e.firstHost().Name
	probe := func(node string) (c *x509.Certificate, err error) {
		ep, err := e.pveEndpoint(p.facts, node)
		if err != nil {
			return nil, err
		}
		err = e.pveRead(ctx, func(ctx context.Context) (err error) {
			c, err = proxmox.ProbeCert(ctx, e.Dialer, ep)
			return err
		})
		return c, err
	}
	ca, err := probe(first)
	if err != nil {
		return err
	}
	if pin, err := p.cfg.Pins.Pin(first); err != nil || !strings.EqualFold(proxmox.Fingerprint(ca.Raw), pin) {
		return fmt.Errorf("%s no longer presents its pinned certificate (%v)", first, err)
	}
	c, err := probe(host)
	if err != nil {
		return err
	}
	if !strings.EqualFold(proxmox.Fingerprint(c.Raw), fp) {
		return fmt.Errorf("%s's certificate changed again while it was checked", host)
	}
	if !proxmox.SameIssuer(c, ca) {
		return fmt.Errorf("it was not issued by the cluster's CA (issuer %q, %s's is %q)", c.Issuer, first, ca.Issuer)
	}
	return nil
}

// clusterFingerprint is the certificate fingerprint the cluster records for
// member (from /cluster/config/join on via), "" if it is not a member.
func (e *Env) clusterFingerprint(ctx context.Context, st *run.Step, via, member string) (string, error) {
	c, err := e.pveAPI(st, via)
	if err != nil {
		return "", err
	}
	info, err := e.pveMap(ctx, c, "/cluster/config/join")
	if err != nil {
		return "", err
	}
	list, _ := info["nodelist"].([]any)
	for _, it := range list {
		if n, _ := it.(map[string]any); n != nil && n["name"] == member {
			fp, _ := n["pve_fp"].(string)
			return fp, nil
		}
	}
	return "", nil
}
