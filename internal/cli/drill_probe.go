package cli

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"

	"github.com/tripod-dev/tripod/internal/drill"
	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/talos"
)

// survivors are the control planes and hosts outside the AZ going down:
// what the probes ask while it is.
type survivors struct {
	cps   []inventory.VMPlan
	hosts []string // hosts with Ceph daemons, layout order
	pool  string   // the first Ceph pool of the inventory
}

func survivorsOf(inv *inventory.Loaded, az string) survivors {
	var s survivors
	for _, cp := range inv.Layout.ControlPlanes() {
		if cp.AZ != az {
			s.cps = append(s.cps, cp)
		}
	}
	for _, a := range inv.Cluster.AZs {
		if a.Name == az {
			continue
		}
		for _, h := range a.Hosts {
			s.hosts = append(s.hosts, h.Name)
		}
	}
	if len(inv.Cluster.Ceph.Pools) > 0 {
		s.pool = inv.Cluster.Ceph.Pools[0].Name
	}
	return s
}

// sample runs one second's probes at once and waits for them all.
func (a *clusterAccess) sample(ctx context.Context, sv survivors, seq int) drill.Sample {
	s := drill.Sample{At: time.Now().UTC()}
	var wg sync.WaitGroup
	run := func(f func()) { wg.Add(1); go func() { defer wg.Done(); f() }() }
	run(func() {
		if err := a.kubeWriteRead(ctx, seq); err != nil {
			s.KubeErr = err.Error()
		} else {
			s.KubeOK = true
		}
	})
	run(func() {
		if err := a.quorum(ctx, sv.cps); err != nil {
			s.QuorumErr = err.Error()
		} else {
			s.QuorumOK = true
		}
	})
	run(func() {
		if err := a.cephWrite(ctx, sv); err != nil {
			s.CephErr = err.Error()
		} else {
			s.CephOK = true
		}
	})
	run(func() {
		s.NotReadyNodes, _, _ = a.notReady(ctx, "/api/v1/nodes")
		s.NotReadyPods, _, _ = a.notReady(ctx, "/api/v1/pods")
	})
	wg.Wait()
	return s
}

// quorum asks the surviving control planes, in turn, for the member list
// (which etcd answers only with a leader) and their status's leader; the
// first that has both shows quorum held.
func (a *clusterAccess) quorum(ctx context.Context, cps []inventory.VMPlan) error {
	var why []string
	for _, cp := range cps {
		n, err := a.members(ctx, cp.Address.String())
		if err == nil {
			var st *machine.EtcdMemberStatus
			if st, err = a.etcdStatus(ctx, cp.Address.String()); err == nil && st.GetLeader() == 0 {
				err = fmt.Errorf("no leader")
			}
		}
		if err == nil {
			return nil
		}
		why = append(why, fmt.Sprintf("%s: %s (%d members)", cp.Name, talos.FirstLine(err), n))
	}
	return fmt.Errorf("no surviving control plane has a leader: %s", strings.Join(why, "; "))
}

// members is the voting member count of the etcd at addr, asked once.
func (a *clusterAccess) members(ctx context.Context, addr string) (int, error) {
	ctx, cancel := a.attempt(ctx, 5*time.Second)
	defer cancel()
	c, err := a.talosTo(ctx, addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	resp, err := c.EtcdMemberList(ctx, &machine.EtcdMemberListRequest{})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, msg := range resp.GetMessages() {
		for _, m := range msg.GetMembers() {
			if !m.GetIsLearner() {
				n++
			}
		}
	}
	return n, nil
}

// cephWrite writes the probe object into the pool through the first
// surviving host that answers. librados blocks on a PG that is not active;
// the op timeout turns that into an error the probe reports.
func (a *clusterAccess) cephWrite(ctx context.Context, sv survivors) error {
	if sv.pool == "" {
		return fmt.Errorf("the inventory has no Ceph pool to write to")
	}
	cmd := fmt.Sprintf("rados -p %s --rados-osd-op-timeout 5 put tripod-drill-az-loss -", sv.pool)
	var why []string
	for _, h := range sv.hosts {
		err := a.hostRun(ctx, h, cmd, 10*time.Second)
		if err == nil {
			return nil
		}
		why = append(why, h+": "+err.Error())
	}
	return fmt.Errorf("%s", strings.Join(why, "; "))
}

// hostRun runs cmd on host through its SSH within d (real time: the
// command's own timeout is real seconds too).
func (a *clusterAccess) hostRun(ctx context.Context, host, cmd string, d time.Duration) error {
	_, err := a.hostOutput(ctx, host, cmd, d)
	return err
}

func (a *clusterAccess) hostOutput(ctx context.Context, host, cmd string, d time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return a.ss.env.ProbeHost(ctx, a.ss.facts, host, cmd)
}
