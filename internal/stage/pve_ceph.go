package stage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tripod-dev/tripod/internal/proxmox"
	"github.com/tripod-dev/tripod/internal/run"
)

// cephInstallCmd installs Ceph from the no-subscription repository (the
// default, enterprise one refuses hosts without a subscription); `yes |`
// answers apt's confirmation.
const cephInstallCmd = "yes | DEBIAN_FRONTEND=noninteractive pveceph install --repository no-subscription"

// cephAnswers reports whether host's Ceph API answers: it does once the
// packages are on the host and the cluster's ceph.conf exists. PVE answers
// 500 otherwise, in both cases; without the text, the two cannot be told
// apart, so before the init an answer of 500 means "install".
func (e *Env) cephAnswers(ctx context.Context, st *run.Step, host string) (bool, error) {
	c, err := e.pveAPI(st, host)
	if err != nil {
		return false, err
	}
	_, err = e.pveList(ctx, c, "/nodes/"+host+"/ceph/mon")
	if proxmox.StatusOf(err) == 500 {
		return false, nil
	}
	return err == nil, err
}

// cephInstall puts the Ceph packages on host.
func (e *Env) cephInstall(ctx context.Context, st *run.Step, host string) error {
	m := run.Mutation{Verb: "install", Object: "Ceph packages on " + host}
	if st.UpstreamPlanned() {
		m.API, m.Detail = "ssh", "`"+cephInstallCmd+"`"
		return planOnly(ctx, st, m)
	}
	ok, err := e.cephAnswers(ctx, st, host)
	if err != nil || ok {
		if ok {
			st.Skip("Ceph is installed on %s", host)
		}
		return err
	}
	return e.pveCommand(ctx, st, m, host, cephInstallCmd)
}

// cephInit writes the cluster's Ceph configuration, with the inventory's
// public and cluster networks (the private network by default).
func (e *Env) cephInit(ctx context.Context, st *run.Step) error {
	first := e.firstHost().Name
	cc := e.Cluster().Ceph
	m := run.Mutation{API: "proxmox", Verb: "init", Object: "Ceph of cluster " + e.Cluster().Proxmox.ClusterName,
		Detail: fmt.Sprintf("public network %s, cluster network %s", cc.PublicNetwork, cc.ClusterNetwork)}
	if st.UpstreamPlanned() {
		return planOnly(ctx, st, m)
	}
	ok, err := e.cephAnswers(ctx, st, first)
	if err != nil || ok {
		if ok {
			st.Skip("Ceph is initialized")
		}
		return err
	}
	c, err := e.pveAPI(st, first)
	if err != nil {
		return err
	}
	return st.Mutate(ctx, m, func(ctx context.Context) error {
		_, err := c.Post(ctx, "/nodes/"+first+"/ceph/init", map[string]any{"network": cc.PublicNetwork.String(), "cluster-network": cc.ClusterNetwork.String()})
		return err
	})
}

// cephMon creates host's monitor on its private address and a manager
// next to it (the first monitor brings its manager along).
func (e *Env) cephMon(ctx context.Context, st *run.Step, host string) error {
	h, _ := e.Layout().Host(host)
	mon := run.Mutation{API: "proxmox", Verb: "create", Object: "Ceph monitor " + host, Detail: "on " + h.PrivateAddress.String()}
	mgr := run.Mutation{API: "proxmox", Verb: "create", Object: "Ceph manager " + host}
	firstMon := host == e.cephHost()
	if st.UpstreamPlanned() {
		err := planOnly(ctx, st, mon)
		if !firstMon {
			err = planOnly(ctx, st, mgr)
		}
		return err
	}
	c, err := e.pveAPI(st, host)
	if err != nil {
		return err
	}
	have, err := e.cephNames(ctx, c, "/nodes/"+host+"/ceph/mon")
	if err != nil {
		return err
	}
	if !have[host] {
		err := st.Mutate(ctx, mon, func(ctx context.Context) error {
			return c.RunTask(ctx, "/nodes/"+host+"/ceph/mon/"+host, map[string]any{"mon-address": h.PrivateAddress.String()}, e.pveTask(st, 10*time.Minute))
		})
		if errors.Is(err, run.ErrPlanned) && !firstMon {
			return planOnly(ctx, st, mgr)
		}
		if err != nil {
			return err
		}
	}
	mgrs, err := e.cephNames(ctx, c, "/nodes/"+host+"/ceph/mgr")
	if err != nil || mgrs[host] {
		if err == nil && have[host] {
			st.Skip("Ceph monitor and manager %s exist", host)
		}
		return err
	}
	return st.Mutate(ctx, mgr, func(ctx context.Context) error {
		return c.RunTask(ctx, "/nodes/"+host+"/ceph/mgr/"+host, nil, e.pveTask(st, 10*time.Minute))
	})
}

// cephNames lists the names of a Ceph daemon list (mons, mgrs).
func (e *Env) cephNames(ctx context.Context, c *proxmox.Client, path string) (map[string]bool, error) {
	list, err := e.pveList(ctx, c, path)
	out := map[string]bool{}
	for _, it := range list {
		if n, _ := it["name"].(string); n != "" {
			out[n] = true
		}
	}
	return out, err
}
