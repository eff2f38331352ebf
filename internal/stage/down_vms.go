package stage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/state"
)

type deleteVMs struct{ env *Env }

func (s *deleteVMs) Name() string { return DownVMs }

func (s *deleteVMs) Targets() []run.Target {
	return s.env.hostTargets(func(h inventory.HostPlan) []run.Key { return []run.Key{run.On(DownFind, h.Name)} })
}

// Run deletes the VMs on the host that carry the cluster's VM tag, stopping
// them first. A VM with one of the cluster's names but without its tag is
// someone else's: it is reported and left alone.
func (s *deleteVMs) Run(ctx context.Context, st *run.Step) error {
	e := s.env
	h, _ := e.Layout().Host(st.Key.Target)
	if _, ok := factsOf(st).DownServer(h.Name); !ok {
		st.Skip("no server, so no VMs")
		return nil
	}
	reached, err := reachedProxmox(e.State, h.Name)
	if err != nil {
		return err
	}
	if !reached {
		st.Skip("tripod never reached Proxmox on %s (no pin, no token): it made no VM there", h.Name)
		return nil
	}
	guests, err := e.pveVMs(ctx, st, h.Name)
	if err != nil {
		return fmt.Errorf("cannot list the VMs on %s to delete them: %w", h.Name, err)
	}
	ours := map[string]bool{}
	for _, vm := range e.Layout().VMs {
		ours[vm.Name] = true
	}
	deleted, planned := 0, false
	for _, g := range guests {
		if g.Node != h.Name {
			continue // each host's step deletes its own
		}
		if !pveOurs(g, e.VMTag()) {
			if ours[g.Name] {
				st.Warn("VM %d (%s) on %s has one of this cluster's names but not its tag %s: left alone", g.VMID, g.Name, h.Name, e.VMTag())
			}
			continue
		}
		switch err := e.pveDestroyVM(ctx, st, g); {
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
// A token that does not open is an error, not a sign it was never stored.
func reachedProxmox(d *state.Dir, host string) (bool, error) {
	if _, err := os.Stat(filepath.Join(d.Path, "pins", host)); err == nil {
		return true, nil
	}
	ok, err := haveSecret(d.Secrets, secretPVEToken(host))
	if err != nil {
		return false, fmt.Errorf("cannot tell whether tripod made VMs on %s: %w", host, err)
	}
	return ok, nil
}
