package stage

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/proxmox"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/state"
)

// prepareProxmox makes h's Proxmox API usable by the stages after it: the
// certificate pinned at first contact (checked against the pin after that),
// the root@pam login checked, and tripod's API token present with its secret
// in the store.
//
// Tokens follow /etc/pve, which a joining host throws away for the
// cluster's. So each host gets its own token here, which serves until it
// joins (its VM bridge is built before); the first host's token outlives the
// cluster's creation (pvecm create keeps /etc/pve) and so is the cluster's
// token; a joining host's secret is replaced by it when the join is done
// (pvecluster), and a later run finds the cluster's secret working on every
// member and changes nothing.
func (e *Env) prepareProxmox(ctx context.Context, st *run.Step, h inventory.HostPlan) error {
	m := tokenMutation(h)
	if err := e.pinHost(ctx, st, h.Name); err != nil {
		return err
	}
	root, err := e.node(st, h.Name).Root(ctx)
	var mismatch *proxmox.PinMismatchError
	if errors.As(err, &mismatch) {
		if root, err = e.repinFromCluster(ctx, st, h.Name, mismatch); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	return e.ensureToken(ctx, st, h.Name, root, m)
}

// planProxmox lists what prepareProxmox sends to a host whose Proxmox VE
// is not installed yet: the token.
func (e *Env) planProxmox(ctx context.Context, st *run.Step, h inventory.HostPlan) error {
	return planOnly(ctx, st, tokenMutation(h))
}

func tokenMutation(h inventory.HostPlan) run.Mutation {
	return run.Mutation{API: "proxmox", Verb: "create", Object: "API token " + pveTokenID + " on " + h.Name,
		Detail: "after pinning the host's TLS certificate at first contact", Request: reqTokenCreate}
}

// ensureToken makes the stored secret of host's token work (see
// prepareProxmox). Token changes on one member are changes for the whole
// cluster, so they are serialized within the run.
func (e *Env) ensureToken(ctx context.Context, st *run.Step, host string, root *proxmox.Client, m run.Mutation) error {
	f := e.fleet(st)
	defer f.LockTokens()()
	if ok, err := e.tokenWorks(ctx, f, host, host); err != nil || ok {
		if ok {
			st.Skip("certificate pinned, root@pam login and API token %s work on %s", pveTokenID, host)
		}
		return err
	}
	first := e.firstHost().Name
	if host != first {
		if ok, err := e.tokenWorks(ctx, f, host, first); err != nil || ok {
			if ok { // a member of the cluster: its token is the cluster's
				f.Forget(host)
				return e.copySecret(secretPVEToken(first), secretPVEToken(host))
			}
			return err
		}
	}
	return e.createToken(ctx, st, host, root, m)
}

// tokenWorks reports whether the token secret stored for owner
// authenticates on host; a refused token (or none stored) is false, not an
// error.
func (e *Env) tokenWorks(ctx context.Context, f *proxmox.Fleet, host, owner string) (bool, error) {
	if _, err := e.State.Secrets.Get(secretPVEToken(owner)); errors.Is(err, state.ErrNoSecret) {
		return false, nil
	}
	c, err := f.TokenClient(host, owner)
	if err != nil {
		return false, err
	}
	_, err = c.ReadMap(ctx, "/version")
	if proxmox.IsAuthRefused(err) {
		return false, nil
	}
	return err == nil, err
}

// Request templates of tripod's API token.
const (
	reqTokenCreate = "POST /api2/json/access/users/{userid}/token/{tokenid}"
	reqTokenDelete = "DELETE /api2/json/access/users/{userid}/token/{tokenid}"
)

// errSecretLost is a token created by a request whose answer, which alone
// carries the secret, was lost.
var errSecretLost = errors.New("the token was created, but its secret was lost with the answer")

// createToken (re)creates the token on host and stores its secret. A token
// of that name whose secret was lost (also by a lost answer just now) is
// deleted first, each request its own mutation. On a cluster member the
// token is the cluster's, so the first host's secret is updated too.
func (e *Env) createToken(ctx context.Context, st *run.Step, host string, root *proxmox.Client, m run.Mutation) error {
	clustered, err := inCluster(ctx, root)
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		exists, err := tokenExists(ctx, root)
		if err != nil {
			return err
		}
		if exists {
			if err := e.deleteToken(ctx, st, root, m.Object); !sentOrPlanned(err) {
				return err
			}
		}
		secret, err := e.sendToken(ctx, st, root, m)
		if errors.Is(err, errSecretLost) && attempt < 3 {
			continue
		}
		if err != nil {
			return err
		}
		e.fleet(st).Forget(host)
		if err := e.State.Secrets.Put(secretPVEToken(host), []byte(secret)); err != nil {
			return err
		}
		if first := e.firstHost().Name; clustered && host != first {
			return e.State.Secrets.Put(secretPVEToken(first), []byte(secret))
		}
		return nil
	}
}

// sendToken is the token's creation through the gate: the one request
// whose answer carries its secret.
func (e *Env) sendToken(ctx context.Context, st *run.Step, root *proxmox.Client, m run.Mutation) (string, error) {
	var secret string
	err := st.Mutate(ctx, m, func(ctx context.Context) error {
		_, err := e.node(st, root.Node()).SendOnce(ctx, proxmox.Request{Client: root, Method: "POST", Path: "/access/users/root@pam/token/tripod",
			Call: func(ctx context.Context) (any, error) {
				s, err := root.CreateToken(ctx, "tripod", "tripod cluster "+e.Cluster().Name)
				secret = s
				return nil, err
			},
			Landed: func(ctx context.Context) (bool, error) {
				made, err := tokenExists(ctx, root)
				if err == nil && made {
					err = errSecretLost // made, but useless: replaced by the caller
				}
				return false, err
			}}, st.Progress)
		return err
	})
	return secret, err
}

// deleteToken deletes tripod's token; one already gone (a repeat of a
// DELETE whose answer was lost) is what was wanted.
func (e *Env) deleteToken(ctx context.Context, st *run.Step, root *proxmox.Client, object string) error {
	m := run.Mutation{API: "proxmox", Verb: "delete", Object: object, Detail: "its secret is not in the state directory, or no longer authenticates", Request: reqTokenDelete}
	return st.Mutate(ctx, m, func(ctx context.Context) error {
		err := root.DeleteToken(ctx, "tripod")
		if err != nil {
			if exists, lerr := tokenExists(ctx, root); lerr == nil && !exists {
				return nil
			}
		}
		return err
	})
}

// tokenExists reports whether root@pam has a token named tripod.
func tokenExists(ctx context.Context, root *proxmox.Client) (bool, error) {
	var names []string
	if err := root.Read(ctx, func(ctx context.Context) (err error) { names, err = root.Tokens(ctx); return err }); err != nil {
		return false, err
	}
	return slices.Contains(names, "tripod"), nil
}

// inCluster reports whether the host c talks to is in a corosync cluster.
func inCluster(ctx context.Context, c *proxmox.Client) (bool, error) {
	st, err := c.ReadList(ctx, "/cluster/status")
	for _, it := range st {
		if it["type"] == "cluster" {
			return true, nil
		}
	}
	return false, err
}

// copySecret stores the value of secret from under name to.
func (e *Env) copySecret(from, to string) error {
	v, err := e.State.Secrets.Get(from)
	if err != nil {
		return fmt.Errorf("failed to read secret %s: %w", from, err)
	}
	return e.State.Secrets.Put(to, v)
}
