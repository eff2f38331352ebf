package stage

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/proxmox"
	"github.com/tripod-dev/tripod/internal/run"
)

func (e *Env) poolSpec(name string) (inventory.Pool, bool) {
	for _, p := range e.Cluster().Ceph.Pools {
		if p.Name == name {
			return p, true
		}
	}
	return inventory.Pool{}, false
}

// cephPool creates the pool with the inventory's size, min_size, pg_num and
// its failure domain's rule, registered as Proxmox RBD storage of the same
// name; an existing pool whose size, min_size or rule differ is set right
// (Ceph re-replicates or remaps; nothing is lost).
func (e *Env) cephPool(ctx context.Context, st *run.Step, name string) error {
	p, _ := e.poolSpec(name)
	rule := cephRule(p.FailureDomain)
	m := e.cephPoolMutation(name)
	host := e.cephHost()
	c, err := e.node(st, host).API()
	if err != nil {
		return err
	}
	pools, err := c.ReadList(ctx, "/nodes/"+host+"/ceph/pool")
	if err != nil {
		return err
	}
	for _, have := range pools {
		if have["pool_name"] == name {
			return e.fixPool(ctx, st, c, host, p, rule, have)
		}
	}
	exists := func(ctx context.Context) (bool, error) {
		pools, err := c.ReadList(ctx, "/nodes/"+host+"/ceph/pool")
		return slices.ContainsFunc(pools, func(have map[string]any) bool { return have["pool_name"] == name }), err
	}
	return e.pveSend(ctx, st, m, proxmox.Request{Client: c, Method: "POST", Path: "/nodes/" + host + "/ceph/pool", Params: map[string]any{
		"name": name, "size": p.Size, "min_size": p.MinSize, "pg_num": p.PGNum, "crush_rule": rule,
		"application": "rbd", "add_storages": 1,
	}, Task: &proxmox.TaskRef{Node: host, Type: "cephcreatepool"}, Landed: exists, Wait: 10 * time.Minute})
}

// cephPoolMutation is the creation of the pool name as the inventory says,
// registered as storage.
func (e *Env) cephPoolMutation(name string) run.Mutation {
	p, _ := e.poolSpec(name)
	return run.Mutation{API: "proxmox", Verb: "create", Object: "Ceph pool " + name,
		Detail: fmt.Sprintf("size %d, min_size %d, pg_num %d, rule %s; registered as RBD storage %s", p.Size, p.MinSize, p.PGNum, cephRule(p.FailureDomain), name), Request: reqCephPool}
}

// Request templates of pools and their storage.
const (
	reqCephPool   = "POST /api2/json/nodes/{node}/ceph/pool"
	reqPoolSet    = "ceph osd pool set"
	reqStorageRBD = "POST /api2/json/storage"
)

// fixPool sets what differs on an existing pool, and registers its storage
// if that is missing.
func (e *Env) fixPool(ctx context.Context, st *run.Step, c *proxmox.Client, host string, p inventory.Pool, rule string, have map[string]any) error {
	want := map[string]string{"size": fmt.Sprint(p.Size), "min_size": fmt.Sprint(p.MinSize), "crush_rule": rule}
	got := map[string]string{"size": fmt.Sprint(int(num(have["size"]))), "min_size": fmt.Sprint(int(num(have["min_size"]))), "crush_rule": fmt.Sprint(have["crush_rule_name"])}
	changed := false
	for _, k := range []string{"crush_rule", "size", "min_size"} {
		if got[k] == want[k] {
			continue
		}
		changed = true
		m := run.Mutation{Verb: "update", Object: "Ceph pool " + p.Name, Detail: fmt.Sprintf("%s %s, want %s", k, got[k], want[k]), Request: reqPoolSet}
		if err := e.pveCommand(ctx, st, m, host, fmt.Sprintf("%s %s %s %s", reqPoolSet, p.Name, k, want[k])); !sentOrPlanned(err) {
			return err
		}
	}
	storages, err := c.ReadList(ctx, "/storage")
	if err != nil {
		return err
	}
	for _, s := range storages {
		if s["storage"] == p.Name {
			if !changed {
				st.Skip("Ceph pool %s exists as the inventory says, registered as storage", p.Name)
			}
			return nil
		}
	}
	m := run.Mutation{API: "proxmox", Verb: "create", Object: "RBD storage " + p.Name, Detail: "for the existing Ceph pool " + p.Name, Request: reqStorageRBD}
	registered := func(ctx context.Context) (bool, error) {
		storages, err := c.ReadList(ctx, "/storage")
		return slices.ContainsFunc(storages, func(s map[string]any) bool { return s["storage"] == p.Name }), err
	}
	return e.pveSend(ctx, st, m, proxmox.Request{Client: c, Method: "POST", Path: "/storage",
		Params: map[string]any{"storage": p.Name, "type": "rbd", "pool": p.Name, "content": "images,rootdir", "krbd": 0}, Landed: registered})
}

// cephHealthy waits until Ceph reports HEALTH_OK, as a named condition
// whose progress is the health checks still open. While monitors are out
// of quorum the status call fails (500): that is "not yet", not an error.
func (e *Env) cephHealthy(ctx context.Context, st *run.Step) error {
	host := e.cephHost()
	c, err := e.node(st, host).API()
	if err != nil {
		return err
	}
	check := func(ctx context.Context) (bool, string, error) {
		s, err := c.GetMap(ctx, "/nodes/"+host+"/ceph/status")
		if proxmox.IsCephNotReady(err) {
			return false, "Ceph is not answering yet", nil
		}
		if err != nil {
			return false, "", err
		}
		return healthOf(s)
	}
	if st.DryRun() {
		ok, status, err := check(ctx)
		if err == nil && !ok {
			st.Warn("Ceph is not healthy now: %s", status)
			e.publishCeph(st, status)
		} else if err == nil {
			e.publishCeph(st, "HEALTH_OK")
		}
		return err
	}
	if err := e.pveWait(ctx, st, "Ceph HEALTH_OK", 5*time.Second, 30*time.Minute, check); err != nil {
		return err
	}
	e.publishCeph(st, "HEALTH_OK")
	st.Skip("Ceph is HEALTH_OK")
	return nil
}

func (e *Env) publishCeph(st *run.Step, health string) {
	var pools []string
	for _, p := range e.Cluster().Ceph.Pools {
		pools = append(pools, p.Name)
	}
	factsOf(st).SetCeph(CephSummary{Health: health, Pools: pools})
}

// healthOf reads `ceph status`: done at HEALTH_OK, else the open checks.
func healthOf(s map[string]any) (bool, string, error) {
	h, _ := s["health"].(map[string]any)
	status, _ := h["status"].(string)
	if status == "HEALTH_OK" {
		return true, status, nil
	}
	checks, _ := h["checks"].(map[string]any)
	var names []string
	for name, v := range checks {
		msg := name
		if c, _ := v.(map[string]any); c != nil {
			if sum, _ := c["summary"].(map[string]any); sum != nil && sum["message"] != nil {
				msg = fmt.Sprintf("%s (%v)", name, sum["message"])
			}
		}
		names = append(names, msg)
	}
	sort.Strings(names)
	return false, status + ": " + strings.Join(names, "; "), nil
}
