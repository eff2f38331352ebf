package stage

import (
	"context"
	"fmt"
	"time"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/proxmox"
	"github.com/tripod-dev/tripod/internal/run"
)

// joinCluster joins h to the cluster the first host created: POSTed on h
// with the first host's address, pinned fingerprint and root password,
// corosync's link0 on h's private address. A host already in the cluster
// is only checked (pin, token, quorum).
func (e *Env) joinCluster(ctx context.Context, st *run.Step, h inventory.HostPlan) error {
	first := e.firstHost()
	name := e.Cluster().Proxmox.ClusterName
	m := e.clusterJoinMutation(h)
	member, err := e.isMember(ctx, st, first.Name, h.Name)
	if err != nil {
		return err
	}
	if member {
		if err := e.afterJoin(ctx, st, h); err != nil {
			return err
		}
		st.Skip("%s is a member of Proxmox cluster %s", h.Name, name)
		return nil
	}
	if st.DryRun() {
		return planOnly(ctx, st, m)
	}
	if err := e.requirePrivateAddress(ctx, st, h); err != nil {
		return err
	}
	if err := st.Mutate(ctx, m, func(ctx context.Context) error { return e.postJoin(ctx, st, h, first) }); err != nil {
		return err
	}
	return e.afterJoin(ctx, st, h)
}

// clusterJoinMutation is h's join to the cluster, through the first host.
func (e *Env) clusterJoinMutation(h inventory.HostPlan) run.Mutation {
	return run.Mutation{API: "proxmox", Verb: "join", Object: fmt.Sprintf("%s to Proxmox cluster %s", h.Name, e.Cluster().Proxmox.ClusterName),
		Detail: fmt.Sprintf("through %s; corosync link0 on %s", e.firstHost().Name, h.PrivateAddress), Request: reqClusterJoin}
}

// isMember reports whether via's cluster lists host.
func (e *Env) isMember(ctx context.Context, st *run.Step, via, host string) (bool, error) {
	c, err := e.node(st, via).API()
	if err != nil {
		return false, err
	}
	nodes, err := c.ReadList(ctx, "/cluster/config/nodes")
	if err != nil {
		return false, err
	}
	for _, n := range nodes {
		if n["name"] == host || n["node"] == host {
			return true, nil
		}
	}
	return false, nil
}

// postJoin asks h to join and waits until the first host lists it. The
// join restarts h's API with a new certificate and drops its connections,
// so progress is read from the first host; h's own task status is read only
// while h still answers with its old certificate, to catch a join that
// failed before it changed anything.
func (e *Env) postJoin(ctx context.Context, st *run.Step, h, first inventory.HostPlan) error {
	root, err := e.node(st, h.Name).Root(ctx)
	if err != nil {
		return err
	}
	params, err := e.joinParams(st, h, first)
	if err != nil {
		return err
	}
	listed := func(ctx context.Context) (bool, error) { return e.isMember(ctx, st, first.Name, h.Name) }
	upid, err := e.node(st, h.Name).SendOnce(ctx, proxmox.Request{Client: root, Method: "POST", Path: "/cluster/config/join", Params: params,
		Task: &proxmox.TaskRef{Node: h.Name, Type: "clusterjoin"}, Landed: listed}, st.Progress)
	if err != nil {
		return err
	}
	wait := fmt.Sprintf("%s listed by the cluster on %s", h.Name, first.Name)
	return e.pveWait(ctx, st, wait, 2*time.Second, 15*time.Minute, func(ctx context.Context) (bool, string, error) {
		if ok, err := e.isMember(ctx, st, first.Name, h.Name); ok || err != nil {
			return ok, "listed", err
		}
		if upid == "" {
			return false, "joining", nil
		}
		stopped, exit, err := root.TaskStatus(ctx, upid)
		if err != nil || !stopped { // h restarting its API is part of joining
			return false, "joining", nil
		}
		if err := proxmox.Failed(upid, exit); err != nil {
			return false, "", err
		}
		return false, "join task done, waiting for the cluster to list it", nil
	})
}

// joinParams are the join's parameters: the peer's address, the pinned
// fingerprint of its certificate and its root password.
func (e *Env) joinParams(st *run.Step, h, first inventory.HostPlan) (map[string]any, error) {
	f := e.fleet(st)
	ep, err := f.Endpoint(first.Name)
	if err != nil {
		return nil, err
	}
	fp, err := f.Pins().Pin(first.Name)
	if err != nil || fp == "" {
		return nil, fmt.Errorf("no pinned certificate for %s: %v", first.Name, err)
	}
	pw, err := e.State.Secrets.Get(secretRootPassword(first.Name))
	if err != nil {
		return nil, fmt.Errorf("no root password for %s (secret %s): %w", first.Name, secretRootPassword(first.Name), err)
	}
	return map[string]any{"hostname": ep.Address, "fingerprint": fp, "password": string(pw), "link0": h.PrivateAddress.String()}, nil
}

// afterJoin brings tripod's view of a member up to date: its certificate
// re-pinned from the fingerprint the cluster records for it (an
// authenticated source: the first host, over its own pin and token), a new
// root@pam login, the cluster's token secret, and quorum with h online.
func (e *Env) afterJoin(ctx context.Context, st *run.Step, h inventory.HostPlan) error {
	first := e.firstHost().Name
	f := e.fleet(st)
	fp, err := e.clusterFingerprint(ctx, st, first, h.Name)
	if err != nil {
		return err
	}
	if pin, err := f.Pins().Pin(h.Name); err != nil || (fp != "" && pin != fp) {
		if err != nil {
			return err
		}
		if err := e.clusterIssued(ctx, st, h.Name, fp); err != nil {
			return fmt.Errorf("refusing to re-pin %s to the fingerprint the cluster records for it (%s): %w", h.Name, fp, err)
		}
		if err := f.Pins().SetPin(h.Name, fp); err != nil {
			return err
		}
		f.Forget(h.Name)
		st.Progress("re-pinned %s from the cluster's record: %s", h.Name, fp)
	}
	if _, err := e.node(st, h.Name).Root(ctx); err != nil {
		return err
	}
	if err := e.adoptClusterToken(ctx, st, h.Name); err != nil {
		return err
	}
	return e.waitQuorum(ctx, st, h.Name)
}

// adoptClusterToken makes host use the cluster's token (the first host's
// secret) unless its stored one already works.
func (e *Env) adoptClusterToken(ctx context.Context, st *run.Step, host string) error {
	f := e.fleet(st)
	defer f.LockTokens()()
	if ok, err := e.tokenWorks(ctx, f, host, host); ok || err != nil {
		return err
	}
	first := e.firstHost().Name
	ok, err := e.tokenWorks(ctx, f, host, first)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("neither %s's API token nor the cluster's authenticates on %s; run again so the os stage recreates it", host, host)
	}
	f.Forget(host)
	if st.DryRun() {
		return nil
	}
	return e.copySecret(secretPVEToken(first), secretPVEToken(host))
}

// waitQuorum waits until the first host's cluster is quorate with host
// online.
func (e *Env) waitQuorum(ctx context.Context, st *run.Step, host string) error {
	c, err := e.node(st, e.firstHost().Name).API()
	if err != nil {
		return err
	}
	name := fmt.Sprintf("cluster quorate with %s online", host)
	return e.pveWait(ctx, st, name, time.Second, 10*time.Minute, func(ctx context.Context) (bool, string, error) {
		v, err := readClusterView(ctx, c)
		if err != nil {
			return false, "", err
		}
		online := 0
		for _, on := range v.Online {
			if on {
				online++
			}
		}
		return v.Quorate && v.Online[host], fmt.Sprintf("quorate=%v, %d/%d members online", v.Quorate, online, len(v.Online)), nil
	})
}
