package stage

import (
	"testing"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// TestHardenConvergesThroughLostAnswers: with answers of the Proxmox API
// lost (the change made, the client never told) and failing, harden still
// leaves exactly tripod's rules at the top and the firewall on: a change
// whose answer was lost is found by reading the rules again, and a DELETE
// the client resends after it landed is refused by its digest instead of
// removing the rule that moved into its place. (TestUpCompletesUnderFaults
// failed CI on a firewall rule POST whose answer hung.)
func TestHardenConvergesThroughLostAnswers(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml", withProfile(simcore.Instant, 0.01))
	rep, err := tw.up(Health)
	requireClean(t, rep, err)
	spec, err := simcore.ParseFaults("proxmox.lost=0.2;proxmox.5xx=0.1;hang-for=10m")
	if err != nil {
		t.Fatal(err)
	}
	tw.World.Env.Faults.Set(spec)
	rep, err = tw.up(Harden)
	requireClean(t, rep, err)
	if n := tw.World.Env.Faults.Injected(); n["proxmox lost"] == 0 {
		t.Fatalf("no answer was lost (%v): the test tested nothing", n)
	}
	tw.World.Env.Faults.Set(simcore.FaultSpec{})
	checkPublicExposure(t, tw, strangerSource, "22/tcp")
	rep, err = tw.up(Harden)
	requireClean(t, rep, err)
	if m := rep.Mutations(); len(m) != 0 {
		t.Errorf("a run after the faulty one changed %d things: %v", len(m), m)
	}
}

// TestHardenLockOutProbeAsksABusyHostAgain: with the hosts' sshd refusing
// one channel in five as too busy, harden still completes: the probe for a
// lock-out (a new connection before and after the firewall goes on) asks
// again when the jump host refused the channel, which never reached the
// API, instead of taking it for a firewall that shut tripod out and turning
// the firewall off. (TestUpCompletesUnderFaults and
// TestEventStreamMatchesSchema failed CI on "ssh: rejected: resource
// shortage" from that probe.)
func TestHardenLockOutProbeAsksABusyHostAgain(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml", withProfile(simcore.Instant, 0.01))
	rep, err := tw.up(Health)
	requireClean(t, rep, err)
	spec, err := simcore.ParseFaults("ssh.5xx=0.2")
	if err != nil {
		t.Fatal(err)
	}
	tw.World.Env.Faults.Set(spec)
	rep, err = tw.up(Harden)
	requireClean(t, rep, err)
	if n := tw.World.Env.Faults.Injected(); n["ssh 5xx"] == 0 {
		t.Fatalf("no SSH channel was refused (%v): the test tested nothing", n)
	}
	tw.World.Env.Faults.Set(simcore.FaultSpec{})
	checkPublicExposure(t, tw, strangerSource, "22/tcp")
}
