package stage

import (
	"context"
	"errors"
	"fmt"

	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/scaleway"
)

// installAttempts is the install and up to two reinstalls after failures.
const installAttempts = 3

// install puts Proxmox VE on h's server through the Scaleway API, with the
// host's generated root password and the cluster's SSH key. A server already
// running Proxmox VE under h's name is left alone; an install in progress is
// waited for; a failed install is retried on that server only.
func (s *osInstall) install(ctx context.Context, st *run.Step, h inventory.HostPlan) error {
	e := s.env
	c, err := e.scw()
	if err != nil {
		return err
	}
	m := installMutation(h)
	f, ok := factsOf(st).Host(h.Name)
	if !ok {
		return fmt.Errorf("no server is known for %s: the servers stage published none", h.Name)
	}
	m.Object = fmt.Sprintf("Proxmox VE on server %s (%s)", f.ServerID, h.Name)
	inst, err := c.Installer(f.Provider, scw.Zone(f.Zone), f.ServerID)
	if err != nil {
		return err
	}
	cur, err := inst.Observe(ctx)
	if err != nil {
		return err
	}
	if cur.Phase == scaleway.InstallRunning && st.DryRun() {
		st.Skip("an install on server %s is in progress (%s)", f.ServerID, cur.Status)
		return run.ErrPlanned // a plan does not wait
	}
	if cur.Phase == scaleway.InstallRunning {
		if cur, err = waitInstall(ctx, st, c, inst, h, f); err != nil {
			return err
		}
	}
	if installed(cur, h) {
		have, err := haveSecret(e.State.Secrets, secretRootPassword(h.Name))
		if err != nil {
			return fmt.Errorf("server %s already runs Proxmox VE as %s, but its root password cannot be read: %w", f.ServerID, h.Name, err)
		}
		if !have {
			return fmt.Errorf("server %s already runs Proxmox VE as %s, but tripod holds no root password for it (secret %s): store it there, or reinstall the server, then run again",
				f.ServerID, h.Name, secretRootPassword(h.Name))
		}
		st.Skip("Proxmox VE already installed on server %s as %s", f.ServerID, h.Name)
		return publishInstalled(st, h, f, cur)
	}
	if st.DryRun() {
		return s.planInstall(ctx, st, c, m)
	}
	return s.installWithRetries(ctx, st, c, inst, h, f, m)
}

// installMutation is the install of Proxmox VE on h's server, named by the
// host until its server is known.
func installMutation(h inventory.HostPlan) run.Mutation {
	return run.Mutation{API: "scaleway", Verb: "install", Object: "Proxmox VE on " + h.Name, Detail: "hostname " + h.Name + ", generated root password, the cluster's SSH key",
		Request: scaleway.ByProvider(h.Provider, scaleway.ReqDediboxInstall, scaleway.ReqMetalInstall)}
}

// installWithRetries sends the install and waits for it, reinstalling after
// a failure up to installAttempts times in all.
func (s *osInstall) installWithRetries(ctx context.Context, st *run.Step, c *scaleway.Session, inst scaleway.Installer, h inventory.HostPlan, f HostFact, m run.Mutation) error {
	e := s.env
	keyID, err := s.ensureIAMKey(ctx, st, c)
	if err != nil {
		return err
	}
	password, err := rootPassword(e.State.Secrets, h.Name)
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			m.Verb = "reinstall"
		}
		sendErr := st.Mutate(ctx, m, func(ctx context.Context) error { return inst.Start(ctx, h.Name, password, keyID) })
		if sendErr != nil && !scaleway.Resendable(ctx, sendErr) {
			return sendErr
		}
		if sendErr != nil {
			// Without an answer the install may have started: let it show, then observe.
			if err := c.Settle(ctx); err != nil {
				return sendErr
			}
		}
		cur, err := waitInstall(ctx, st, c, inst, h, f)
		if err != nil {
			return err
		}
		if installed(cur, h) {
			st.Skip("Proxmox VE installed on server %s as %s", f.ServerID, h.Name)
			return publishInstalled(st, h, f, cur)
		}
		why := "failed (status " + cur.Status + ")"
		if sendErr != nil && cur.Phase != scaleway.InstallFailed {
			why = "was not started: " + sendErr.Error()
		}
		if attempt == installAttempts {
			return fmt.Errorf("installing Proxmox VE on server %s (%s) %s, %d times; the other hosts are not affected", f.ServerID, h.Name, why, attempt)
		}
		st.Warn("install of Proxmox VE on server %s (%s) %s; reinstalling (%d of %d)", f.ServerID, h.Name, why, attempt+1, installAttempts)
	}
}

// installed reports whether cur is Proxmox VE installed under h's name.
func installed(cur scaleway.InstallState, h inventory.HostPlan) bool {
	return cur.Phase == scaleway.InstallDone && cur.Proxmox && cur.Hostname == h.Name
}

// planInstall records the install (and the SSH key registration it needs)
// in a dry run.
func (s *osInstall) planInstall(ctx context.Context, st *run.Step, c *scaleway.Session, m run.Mutation) error {
	if _, err := s.ensureIAMKey(ctx, st, c); err != nil && !errors.Is(err, run.ErrPlanned) {
		return err
	}
	return st.Mutate(ctx, m, nil)
}

// waitInstall waits until the install in progress ends, completed or failed.
func waitInstall(ctx context.Context, st *run.Step, c *scaleway.Session, inst scaleway.Installer, h inventory.HostPlan, f HostFact) (scaleway.InstallState, error) {
	return c.WaitInstall(ctx, st.Progress, fmt.Sprintf("Proxmox VE installed on server %s (%s)", f.ServerID, h.Name), inst)
}

// publishInstalled refreshes the host's fact with the address the installed
// server answers on.
func publishInstalled(st *run.Step, h inventory.HostPlan, f HostFact, cur scaleway.InstallState) error {
	if cur.PublicIP != "" {
		f.PublicIP = cur.PublicIP
	}
	if f.PublicIP == "" {
		return fmt.Errorf("server %s (%s) has no public IPv4 address", f.ServerID, h.Name)
	}
	factsOf(st).SetHost(h.Name, f)
	return nil
}
