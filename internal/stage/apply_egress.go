package stage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/talos"
)

// egressWait is how long a node in maintenance mode is given to sync its
// clock before its first apply (real time, scaled): Talos syncs within
// seconds when its time servers answer, and without egress the install
// that follows the apply would only retry its image pull forever.
const egressWait = 2 * time.Minute

// requireEgress fails, before vm's first apply, when the node cannot reach
// the internet: its TimeStatus (read through the Talos API in maintenance
// mode) does not turn synced within egressWait. A node that does not serve
// the COSI API (an older Talos) is not held back, only noted. A dry run
// reads once and warns.
func (e *Env) requireEgress(ctx context.Context, st *run.Step, vm inventory.VMPlan) error {
	c, err := e.insecureTalos(ctx, vm)
	if err != nil {
		return err
	}
	defer c.Close()
	// noCOSI: the node cannot tell; unsynced: its last answer was a clean
	// "not synced", so a timeout means no egress, not a failed read.
	noCOSI, unsynced := false, false
	check := func(ctx context.Context) (bool, string, error) {
		synced, err := talos.TimeSynced(ctx, c)
		unsynced = err == nil && !synced
		switch {
		case errors.Is(err, talos.ErrNoCOSI):
			noCOSI = true
			return true, "", nil
		case err != nil:
			return false, "", err
		case !synced:
			return false, "clock not synced", nil
		}
		return true, "synced", nil
	}
	if st.DryRun() {
		ok, _, err := check(ctx)
		switch {
		case err != nil:
			st.Warn("%s: its time status could not be read (%s)", vm.Name, shortErr(err))
		case !ok:
			st.Warn("%s", e.egressFailure(vm))
		}
		return nil
	}
	err = e.waitFor(ctx, st, vm.Name+" syncing its clock through its gateway", 5*time.Second, egressWait, 30*time.Second, talos.Classify, check)
	switch {
	case err == nil && noCOSI:
		st.Progress("%s does not serve the COSI resource API (an older Talos), so its egress is not checked before the apply", vm.Name)
		return nil
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case unsynced:
		return errors.New(e.egressFailure(vm))
	}
	return fmt.Errorf("failed to read %s's time status: %w", vm.Name, err)
}

// egressFailure is the one sentence a node without egress fails with: the
// node, what it could not reach through which gateway, and the fields to
// fix.
func (e *Env) egressFailure(vm inventory.VMPlan) string {
	c := e.Cluster()
	via, cause := fmt.Sprintf("its gateway %s (network.gateway)", vm.Gateway), "the router does not forward and NAT the subnet, or drops its traffic"
	if c.HostNAT() {
		via, cause = fmt.Sprintf("its gateway %s (%s)", vm.Gateway, vm.Host), "the host's NAT is missing or its uplink drops forwarded traffic"
	}
	return fmt.Sprintf("%s (%s) cannot reach the internet: its time servers (%s) did not answer through %s; %s (see network.gateway, network.dns and network.timeServers)",
		vm.Name, vm.Address, strings.Join(c.Network.TimeServers, ", "), via, cause)
}
