package stage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	pve "github.com/Telmate/proxmox-api-go/proxmox"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/proxmox"
	"github.com/tripod-dev/tripod/internal/run"
)

type deleteVMs struct{ env *Env }

func (s *deleteVMs) Name() string { return DownVMs }

func (s *deleteVMs) Targets() []run.Target {
	return s.env.hostTargets(func(h inventory.HostPlan) []run.Key { return []run.Key{run.On(DownFind, h.Name)} })
}

// guest is a VM as a node lists it.
type guest struct {
	VMID    int
	Name    string
	Running bool
	Tags    []string
}

// Run lists the VMs on the host and deletes those that carry the cluster's
// VM tag, stopping them first. A VM with one of the cluster's names but
// without its tag is someone else's: it is reported and left alone.
func (s *deleteVMs) Run(ctx context.Context, st *run.Step) error {
	e := s.env
	h, _ := e.Layout().Host(st.Key.Target)
	if _, ok := downServer(st, h.Name); !ok {
		st.Skip("no server, so no VMs")
		return nil
	}
	if !e.reachedProxmox(h.Name) {
		st.Skip("tripod never reached Proxmox on %s (no pin, no token): it made no VM there", h.Name)
		return nil
	}
	c, err := e.pveAPI(st, h.Name)
	if err != nil {
		return fmt.Errorf("cannot reach Proxmox on %s to delete its VMs: %w", h.Name, err)
	}
	guests, err := e.guests(ctx, c, h.Name)
	if err != nil {
		return err
	}
	ours := map[string]bool{}
	for _, vm := range e.Layout().VMs {
		ours[vm.Name] = true
	}
	deleted, planned := 0, false
	for _, g := range guests {
		if !containsTag(g.Tags, e.VMTag()) {
			if ours[g.Name] {
				st.Warn("VM %d (%s) on %s has one of this cluster's names but not its tag %s: left alone", g.VMID, g.Name, h.Name, e.VMTag())
			}
			continue
		}
		switch err := s.delete(ctx, st, c, h.Name, g); {
		case errors.Is(err, run.ErrPlanned):
			planned = true // a dry run lists every VM
		case err != nil:
			return err
		}
		deleted++
	}
	if planned {
		return run.ErrPlanned
	}
	if deleted == 0 {
		st.Skip("no VM on %s carries %s", h.Name, e.VMTag())
	}
	return nil
}

// reachedProxmox reports whether tripod ever talked to Proxmox on host: it
// pins a host's certificate and stores a token the first time.
func (e *Env) reachedProxmox(host string) bool {
	if _, err := os.Stat(filepath.Join(e.State.Path, "pins", host)); err == nil {
		return true
	}
	_, err := e.State.Secrets.Get(secretPVEToken(host))
	return err == nil
}

func (e *Env) guests(ctx context.Context, c *proxmox.Client, node string) ([]guest, error) {
	items, err := e.pveList(ctx, c, "/nodes/"+node+"/qemu")
	if err != nil {
		return nil, err
	}
	var out []guest
	for _, it := range items {
		vmid := 0
		fmt.Sscan(str(it["vmid"]), &vmid)
		var tags []string
		for _, t := range strings.FieldsFunc(str(it["tags"]), func(r rune) bool { return r == ';' || r == ',' || r == ' ' }) {
			tags = append(tags, t)
		}
		out = append(out, guest{VMID: vmid, Name: str(it["name"]), Running: str(it["status"]) == "running", Tags: tags})
	}
	return out, nil
}

func containsTag(tags []string, t string) bool {
	for _, x := range tags {
		if x == t {
			return true
		}
	}
	return false
}

// delete stops g if it runs, then deletes it with its disks.
func (s *deleteVMs) delete(ctx context.Context, st *run.Step, c *proxmox.Client, node string, g guest) error {
	api, err := c.Typed(ctx)
	if err != nil {
		return err
	}
	vmr := pve.NewVmRef(pve.GuestID(g.VMID))
	vmr.SetNode(node)
	vmr.SetVmType(pve.GuestQemu)
	obj := fmt.Sprintf("VM %d (%s) on %s", g.VMID, g.Name, node)
	if g.Running {
		m := run.Mutation{API: "proxmox", Verb: "stop", Object: obj, Request: "POST /api2/json/nodes/{node}/qemu/{vmid}/status/stop"}
		err := st.Mutate(ctx, m, func(ctx context.Context) error { _, err := api.StopVm(ctx, vmr); return err })
		if err != nil && !errors.Is(err, run.ErrPlanned) {
			return err
		}
	}
	m := run.Mutation{API: "proxmox", Verb: "delete", Object: obj, Detail: "with its disks", Request: "DELETE /api2/json/nodes/{node}/qemu/{vmid}"}
	return st.Mutate(ctx, m, func(ctx context.Context) error {
		_, err := api.DeleteVmParams(ctx, vmr, map[string]any{"purge": 1, "destroy-unreferenced-disks": 1})
		return err
	})
}
