package stage

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/tripod-dev/tripod/internal/proxmox"
	"github.com/tripod-dev/tripod/internal/run"
)

// cephOSDs creates an OSD on each of host's data disks that has none. A
// disk used by anything else is never wiped: the target fails instead.
// OSD creation is root@pam only, so it goes through a ticket.
func (e *Env) cephOSDs(ctx context.Context, st *run.Step, host string) error {
	h, _ := e.Layout().Host(host)
	c, err := e.node(st, host).API()
	if err != nil {
		return err
	}
	disks, err := hostDisks(ctx, c, host)
	if err != nil {
		return err
	}
	var todo []string
	for _, dev := range h.DataDisks {
		d := disks[dev]
		switch {
		case d == nil:
			return fmt.Errorf("%s has no disk %s (it has %v); fix dataDisks in the inventory", host, dev, sortedNames(disks))
		case d["osdid"] != nil && num(d["osdid"]) >= 0:
			continue // already an OSD
		case d["used"] != nil && d["used"] != "":
			return fmt.Errorf("refusing to wipe %s:%s for an OSD: it is in use (%v); free it or remove it from dataDisks", host, dev, d["used"])
		}
		todo = append(todo, dev)
	}
	if len(todo) == 0 {
		st.Skip("every data disk of %s is an OSD", host)
		return nil
	}
	sort.Strings(todo)
	return e.createOSDs(ctx, st, host, todo)
}

// reqCephOSD is the request template of an OSD's creation.
const reqCephOSD = "POST /api2/json/nodes/{node}/ceph/osd"

// osdMutation is the creation of an OSD on host's disk dev.
func osdMutation(host, dev string) run.Mutation {
	return run.Mutation{API: "proxmox", Verb: "create", Object: fmt.Sprintf("Ceph OSD on %s:%s", host, dev), Detail: "wipes the disk", Request: reqCephOSD}
}

// osdMutations are the OSD creations on host's disks devs, in order.
func osdMutations(host string, devs []string) []run.Mutation {
	out := make([]run.Mutation, 0, len(devs))
	for _, dev := range devs {
		out = append(out, osdMutation(host, dev))
	}
	return out
}

// hostDisks is host's disks by device path.
func hostDisks(ctx context.Context, c *proxmox.Client, host string) (map[string]map[string]any, error) {
	list, err := c.ReadList(ctx, "/nodes/"+host+"/disks/list")
	disks := map[string]map[string]any{}
	for _, d := range list {
		if p, _ := d["devpath"].(string); p != "" {
			disks[p] = d
		}
	}
	return disks, err
}

// createOSDs creates the OSDs one after the other (each wipes and
// partitions a disk under the node's storage lock). A create whose answer
// was lost is not repeated when the disk has become an OSD (or is being
// made one) meanwhile.
func (e *Env) createOSDs(ctx context.Context, st *run.Step, host string, devs []string) error {
	if st.DryRun() { // without the root@pam login a plan does not need
		return planOnly(ctx, st, osdMutations(host, devs)...)
	}
	root, err := e.node(st, host).Root(ctx)
	if err != nil {
		return err
	}
	for _, dev := range devs {
		taken := func(ctx context.Context) (bool, error) {
			disks, err := hostDisks(ctx, root, host)
			d := disks[dev]
			return d != nil && ((d["osdid"] != nil && num(d["osdid"]) >= 0) || str(d["used"]) != ""), err
		}
		err := st.Mutate(ctx, osdMutation(host, dev), func(ctx context.Context) error {
			release, err := st.Acquire(ctx, "proxmox-node:"+host)
			if err != nil {
				return err
			}
			defer release()
			return e.node(st, host).Send(ctx, proxmox.Request{Client: root, Method: "POST", Path: "/nodes/" + host + "/ceph/osd",
				Params: map[string]any{"dev": dev}, Task: &proxmox.TaskRef{Node: host, Type: "cephcreateosd"}, Landed: taken, Wait: 20 * time.Minute}, st.Progress)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
