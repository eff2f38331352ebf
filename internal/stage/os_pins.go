package stage

import (
	"context"
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
	f := e.fleet(st)
	pin, err := f.Pins().Pin(host)
	if err != nil || pin != "" {
		return err
	}
	fp, err := f.Node(host).Fingerprint(ctx)
	if err != nil {
		return err
	}
	st.Progress("trusting the TLS certificate of %s on first use: %s", host, fp)
	return f.Pins().SetPin(host, fp)
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
	if err := e.fleet(st).Pins().SetPin(host, fp); err != nil {
		return nil, err
	}
	e.fleet(st).Forget(host)
	st.Warn("%s presents a certificate signed by the cluster (it joined in an earlier run); re-pinned it from %s: %s", host, first, fp)
	return e.node(st, host).Root(ctx)
}

// clusterIssued checks that host presents the certificate fp and that the
// CA which issued the first host's pinned certificate issued it too: what a
// join gives a member. A self-signed or otherwise issued certificate is
// refused even when the cluster's record lists it (a botched renewal shows
// there too).
func (e *Env) clusterIssued(ctx context.Context, st *run.Step, host, fp string) error {
	f := e.fleet(st)
	first := e.firstHost().Name
	ca, err := f.Node(first).Certificate(ctx)
	if err != nil {
		return err
	}
	if pin, err := f.Pins().Pin(first); err != nil || !strings.EqualFold(proxmox.Fingerprint(ca.Raw), pin) {
		return fmt.Errorf("%s no longer presents its pinned certificate (%v)", first, err)
	}
	c, err := f.Node(host).Certificate(ctx)
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
	c, err := e.node(st, via).API()
	if err != nil {
		return "", err
	}
	info, err := c.ReadMap(ctx, "/cluster/config/join")
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
