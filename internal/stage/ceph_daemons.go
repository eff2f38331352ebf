package stage

import (
	"context"
	"fmt"
	"time"

	"github.com/tripod-dev/tripod/internal/proxmox"
	"github.com/tripod-dev/tripod/internal/run"
)

// cephInstallCmd installs Ceph from the no-subscription repository (the
// default, enterprise one refuses hosts without a subscription); `yes |`
// answers apt's confirmation.
const cephInstallCmd = "yes | DEBIAN_FRONTEND=noninteractive pveceph install --repository no-subscription"

// Request templates of the Ceph daemons.
const (
	reqCephInstall = "pveceph install"
	reqCephInit    = "POST /api2/json/nodes/{node}/ceph/init"
	reqCephMon     = "POST /api2/json/nodes/{node}/ceph/mon/{monid}"
	reqCephMgr     = "POST /api2/json/nodes/{node}/ceph/mgr/{id}"
)

// cephAnswers reports whether host's Ceph API answers: it does once the
// packages are on the host and the cluster's ceph.conf exists. PVE answers
// 500 otherwise, in both cases; without the text, the two cannot be told
// apart, so before the init an answer of 500 means "install".
func (e *Env) cephAnswers(ctx context.Context, st *run.Step, host string) (bool, error) {
	c, err := e.node(st, host).API()
	if err != nil {
		return false, err
	}
	_, err = c.ReadList(ctx, "/nodes/"+host+"/ceph/mon")
	if proxmox.IsCephNotReady(err) {
		return false, nil
	}
	return err == nil, err
}

// cephInstall puts the Ceph packages on host.
func (e *Env) cephInstall(ctx context.Context, st *run.Step, host string) error {
	ok, err := e.cephAnswers(ctx, st, host)
	if err != nil || ok {
		if ok {
			st.Skip("Ceph is installed on %s", host)
		}
		return err
	}
	return e.pveCommand(ctx, st, cephInstallMutation(host), host, cephInstallCmd)
}

// cephInstallMutation is the install of the Ceph packages on host, a host
// command (pveCommand details it with the command and the host).
func cephInstallMutation(host string) run.Mutation {
	return run.Mutation{API: "ssh", Verb: "install", Object: "Ceph packages on " + host, Request: reqCephInstall}
}

// cephInit writes the cluster's Ceph configuration, with the inventory's
// public and cluster networks (the private network by default).
func (e *Env) cephInit(ctx context.Context, st *run.Step) error {
	first := e.firstHost().Name
	cc := e.Cluster().Ceph
	m := e.cephInitMutation()
	ok, err := e.cephAnswers(ctx, st, first)
	if err != nil || ok {
		if ok {
			st.Skip("Ceph is initialized")
		}
		return err
	}
	c, err := e.node(st, first).API()
	if err != nil {
		return err
	}
	return e.pveSend(ctx, st, m, proxmox.Request{Client: c, Method: "POST", Path: "/nodes/" + first + "/ceph/init",
		Params: map[string]any{"network": cc.PublicNetwork.String(), "cluster-network": cc.ClusterNetwork.String()},
		Landed: func(ctx context.Context) (bool, error) { return e.cephAnswers(ctx, st, first) }})
}

// cephInitMutation is the init of the cluster's Ceph configuration.
func (e *Env) cephInitMutation() run.Mutation {
	cc := e.Cluster().Ceph
	return run.Mutation{API: "proxmox", Verb: "init", Object: "Ceph of cluster " + e.Cluster().Proxmox.ClusterName,
		Detail: fmt.Sprintf("public network %s, cluster network %s", cc.PublicNetwork, cc.ClusterNetwork), Request: reqCephInit}
}

// cephMonMutations are the creations of host's monitor and its manager.
func (e *Env) cephMonMutations(host string) (mon, mgr run.Mutation) {
	h, _ := e.Layout().Host(host)
	return run.Mutation{API: "proxmox", Verb: "create", Object: "Ceph monitor " + host, Detail: "on " + h.PrivateAddress.String(), Request: reqCephMon},
		run.Mutation{API: "proxmox", Verb: "create", Object: "Ceph manager " + host, Request: reqCephMgr}
}

// cephMon creates host's monitor on its private address and a manager
// next to it (the first monitor brings its manager along).
func (e *Env) cephMon(ctx context.Context, st *run.Step, host string) error {
	h, _ := e.Layout().Host(host)
	mon, mgr := e.cephMonMutations(host)
	firstMon := host == e.cephHost()
	c, err := e.node(st, host).API()
	if err != nil {
		return err
	}
	monPath, mgrPath := "/nodes/"+host+"/ceph/mon", "/nodes/"+host+"/ceph/mgr"
	has := func(path string) func(ctx context.Context) (bool, error) {
		return func(ctx context.Context) (bool, error) {
			names, err := cephNames(ctx, c, path)
			return names[host], err
		}
	}
	haveMon, err := has(monPath)(ctx)
	if err != nil {
		return err
	}
	if !haveMon {
		err := e.pveSend(ctx, st, mon, proxmox.Request{Client: c, Method: "POST", Path: monPath + "/" + host,
			Params: map[string]any{"mon-address": h.PrivateAddress.String()},
			Task:   &proxmox.TaskRef{Node: host, Type: "cephcreatemon"}, Landed: has(monPath), Wait: 10 * time.Minute})
		if planned(err) && !firstMon {
			return planOnly(ctx, st, mgr) // the first monitor brings its manager
		}
		if err != nil {
			return err
		}
	}
	haveMgr, err := has(mgrPath)(ctx)
	if err != nil || haveMgr {
		if err == nil && haveMon {
			st.Skip("Ceph monitor and manager %s exist", host)
		}
		return err
	}
	return e.pveSend(ctx, st, mgr, proxmox.Request{Client: c, Method: "POST", Path: mgrPath + "/" + host,
		Task: &proxmox.TaskRef{Node: host, Type: "cephcreatemgr"}, Landed: has(mgrPath), Wait: 10 * time.Minute})
}

// cephNames lists the names of a Ceph daemon list (mons, mgrs).
func cephNames(ctx context.Context, c *proxmox.Client, path string) (map[string]bool, error) {
	list, err := c.ReadList(ctx, path)
	out := map[string]bool{}
	for _, it := range list {
		if n, _ := it["name"].(string); n != "" {
			out[n] = true
		}
	}
	return out, err
}
