package stage

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tripod-dev/tripod/internal/proxmox"
	"github.com/tripod-dev/tripod/internal/run"
)

// What teardown (down) needs from the Proxmox side: the cluster's guests
// with their tags and nodes, a way to stop and delete one of ours with its
// disks, and forgetting a released host's pins and token.

// pveVMs lists every VM of the cluster (or of the lone host) that via
// belongs to, with its node, status and tags, through via's API token.
func (e *Env) pveVMs(ctx context.Context, st *run.Step, via string) ([]vmSeen, error) {
	c, err := e.node(st, via).API()
	if err != nil {
		return nil, err
	}
	return listVMs(ctx, c)
}

func listVMs(ctx context.Context, c *proxmox.Client) ([]vmSeen, error) {
	list, err := c.ReadList(ctx, "/cluster/resources?type=vm")
	if err != nil {
		return nil, err
	}
	out := make([]vmSeen, 0, len(list))
	for _, it := range list {
		if t := str(it["type"]); t != "" && t != "qemu" {
			continue // containers are never tripod's
		}
		s := vmSeen{VMID: int(num(it["vmid"])), Status: str(it["status"]), Node: str(it["node"]), Name: str(it["name"])}
		s.Tags = strings.FieldsFunc(str(it["tags"]), func(r rune) bool { return r == ';' || r == ',' || r == ' ' })
		out = append(out, s)
	}
	return out, nil
}

// pveOurs reports whether g carries vmTag, the cluster's ownership tag
// (Env.VMTag): the only guests down may touch.
func pveOurs(g vmSeen, vmTag string) bool { return slices.Contains(g.Tags, vmTag) }

// Request templates of a VM's teardown.
const (
	reqVMStop    = "POST /api2/json/nodes/{node}/qemu/{vmid}/status/stop"
	reqVMDestroy = "DELETE /api2/json/nodes/{node}/qemu/{vmid}"
)

// pveDestroyVM stops g if it runs and deletes it with its disks (purge also
// drops it from backup jobs, replication and HA), each request one
// mutation; a dry run lists both. A guest without our tag is refused.
func (e *Env) pveDestroyVM(ctx context.Context, st *run.Step, g vmSeen) error {
	if !pveOurs(g, e.VMTag()) {
		return fmt.Errorf("refusing to delete VM %d %s on %s: it does not carry the tag %s", g.VMID, g.Name, g.Node, e.VMTag())
	}
	c, err := e.node(st, g.Node).API()
	if err != nil {
		return err
	}
	vmPath := fmt.Sprintf("/nodes/%s/qemu/%d", g.Node, g.VMID)
	stopped := func(ctx context.Context) (bool, error) {
		cur, err := c.ReadMap(ctx, vmPath+"/status/current")
		return cur["status"] == "stopped", err
	}
	if g.Status != "stopped" {
		m := run.Mutation{Verb: "stop", Object: fmt.Sprintf("VM %d %s on %s", g.VMID, g.Name, g.Node), Request: reqVMStop}
		err := e.pveSend(ctx, st, m, proxmox.Request{Client: c, Method: "POST", Path: vmPath + "/status/stop",
			Task: &proxmox.TaskRef{Node: g.Node, Type: "qmstop", VMID: g.VMID}, Landed: stopped, Wait: 5 * time.Minute})
		if !sentOrPlanned(err) {
			return err
		}
	}
	m := run.Mutation{API: "proxmox", Verb: "delete", Object: fmt.Sprintf("VM %d %s on %s", g.VMID, g.Name, g.Node),
		Detail: "with its disks", Request: reqVMDestroy}
	return st.Mutate(ctx, m, func(ctx context.Context) error {
		ref := proxmox.TaskRef{Node: g.Node, Type: "qmdestroy", VMID: g.VMID}
		before, err := c.Tasks(ctx, ref)
		if err != nil {
			return err
		}
		// The transport repeats a DELETE whose answer was lost; the repeat
		// may meet the first one's work (gone, or being destroyed).
		_, err = e.node(st, g.Node).SendOnce(ctx, proxmox.Request{Client: c, Method: "DELETE", Path: vmPath + "?purge=1&destroy-unreferenced-disks=1"}, st.Progress)
		if err != nil && !pveVMGone(ctx, c, g) {
			if upid, ok, _ := proxmox.Landed(ctx, proxmox.Request{Client: c, Task: &ref}, before); !ok || upid == "" {
				return err
			}
		}
		// The DELETE's answer (a UPID) is not handed back by Telmate's
		// Delete, so the removal is waited for as what it changes.
		return e.pveWait(ctx, st, fmt.Sprintf("VM %d gone", g.VMID), time.Second, 10*time.Minute, func(ctx context.Context) (bool, string, error) {
			return pveVMGone(ctx, c, g), "deleting", nil
		})
	})
}

// pveVMGone reports whether g no longer exists (a DELETE whose answer was
// lost may have been carried out).
func pveVMGone(ctx context.Context, c *proxmox.Client, g vmSeen) bool {
	list, err := listVMs(ctx, c)
	return err == nil && !slices.ContainsFunc(list, func(v vmSeen) bool { return v.VMID == g.VMID })
}

// pveForgetHost deletes what the state directory keeps for host's Proxmox
// API once its server is released: pins/<host>, pins/<host>.ssh and the
// secret pve-token.<host>. A reinstalled server under the same name is then
// trusted on first use again. It changes nothing remote, and nothing at all
// in a dry run.
func (s *releaseServers) pveForgetHost(st *run.Step, host string) error {
	e := s.env
	if st.DryRun() {
		return nil
	}
	pins := proxmox.FilePins{Dir: filepath.Join(e.State.Path, "pins")}
	var errs []error
	for _, key := range []string{host, host + ".ssh"} {
		errs = append(errs, pins.Unpin(key))
	}
	errs = append(errs, e.State.Secrets.Delete(secretPVEToken(host)))
	e.fleet(st).Forget(host)
	return errors.Join(errs...)
}
