package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"

	"github.com/tripod-dev/tripod/internal/drill"
	"github.com/tripod-dev/tripod/internal/talos"
)

// recovery polls every second, from back, until etcd is healthy, Ceph is
// HEALTH_OK and every node is Ready, or until timeout; it records when each
// first was.
func (a *clusterAccess) recovery(ctx context.Context, back time.Time, timeout time.Duration) drill.Recovery {
	r := drill.Recovery{Last: map[string]string{}}
	deadline := time.Now().Add(timeout)
	for {
		now := time.Now()
		if r.Etcd == nil {
			if why := a.etcdHealthy(ctx); why == "" {
				r.Etcd, r.Last["etcd"] = drill.Secs(now.Sub(back)), "every control plane's etcd answers with a leader"
			} else {
				r.Last["etcd"] = why
			}
		}
		if r.Ceph == nil {
			if why := a.cephHealthOK(ctx); why == "" {
				r.Ceph, r.Last["ceph"] = drill.Secs(now.Sub(back)), "ceph health: HEALTH_OK"
			} else {
				r.Last["ceph"] = why
			}
		}
		if r.Nodes == nil {
			if why := a.nodesReady(ctx); why == "" {
				r.Nodes, r.Last["nodes"] = drill.Secs(now.Sub(back)), "every node Ready"
			} else {
				r.Last["nodes"] = why
			}
		}
		if (r.Etcd != nil && r.Ceph != nil && r.Nodes != nil) || time.Now().After(deadline) || ctx.Err() != nil {
			return r
		}
		sleepCtx(ctx, time.Second-time.Since(now))
	}
}

// etcdHealthy is "" when every control plane's etcd follows a leader and
// lists every control plane as a voting member, else what is wrong.
func (a *clusterAccess) etcdHealthy(ctx context.Context) string {
	cps := a.ss.inv.Layout.ControlPlanes()
	for _, cp := range cps {
		st, err := a.etcdStatus(ctx, cp.Address.String())
		if err != nil {
			return cp.Name + ": " + talos.FirstLine(err)
		}
		if st.GetLeader() == 0 || len(st.GetErrors()) > 0 {
			return fmt.Sprintf("%s: leader %x, errors %v", cp.Name, st.GetLeader(), st.GetErrors())
		}
	}
	n, err := a.members(ctx, cps[0].Address.String())
	if err != nil {
		return cps[0].Name + ": " + talos.FirstLine(err)
	}
	if n != len(cps) {
		return fmt.Sprintf("%d voting members, want %d", n, len(cps))
	}
	return ""
}

// cephHealthOK is "" when `ceph health` on a host says HEALTH_OK.
func (a *clusterAccess) cephHealthOK(ctx context.Context) string {
	var why []string
	for _, az := range a.ss.inv.Cluster.AZs {
		for _, h := range az.Hosts {
			out, err := a.hostOutput(ctx, h.Name, "ceph health", 10*time.Second)
			if err != nil {
				why = append(why, h.Name+": "+err.Error())
				continue
			}
			if line := strings.TrimSpace(out); !strings.HasPrefix(line, "HEALTH_OK") {
				return "ceph health: " + firstLine([]byte(line))
			}
			return ""
		}
	}
	return strings.Join(why, "; ")
}

// nodesReady is "" when every node of the layout is registered and Ready.
func (a *clusterAccess) nodesReady(ctx context.Context) string {
	bad, total, err := a.notReady(ctx, "/api/v1/nodes")
	switch {
	case err != nil:
		return err.Error()
	case len(bad) > 0:
		return "not Ready: " + strings.Join(bad, ", ")
	case total < len(a.ss.inv.Layout.VMs):
		return fmt.Sprintf("%d of %d nodes registered", total, len(a.ss.inv.Layout.VMs))
	}
	return ""
}

// sleepCtx sleeps d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// leaderName is the control plane etcd's leader runs on, or "" when no
// control plane tells.
func (a *clusterAccess) leaderName(ctx context.Context) string {
	for _, cp := range a.ss.inv.Layout.ControlPlanes() {
		st, err := a.etcdStatus(ctx, cp.Address.String())
		if err != nil || st.GetLeader() == 0 {
			continue
		}
		ctx, cancel := a.attempt(ctx, 5*time.Second)
		c, err := a.talosTo(ctx, cp.Address.String())
		if err != nil {
			cancel()
			continue
		}
		resp, err := c.EtcdMemberList(ctx, &machine.EtcdMemberListRequest{})
		c.Close()
		cancel()
		for _, msg := range resp.GetMessages() {
			for _, m := range msg.GetMembers() {
				if err == nil && m.GetId() == st.GetLeader() {
					return m.GetHostname()
				}
			}
		}
	}
	return ""
}
