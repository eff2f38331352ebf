package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/tripod-dev/tripod/internal/drill"
	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/state"
)

type azLossFlags struct {
	run     runFlags
	az      string
	confirm string
	via     string
	down    time.Duration
	recover time.Duration
}

func newDrillCommand(s Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "drill",
		Short: "Rehearse disasters on the cluster and measure what holds",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newAZLossCommand(s))
	return cmd
}

func newAZLossCommand(s Streams) *cobra.Command {
	f := &azLossFlags{}
	cmd := &cobra.Command{
		Use:   "az-loss --az NAME -i FILE [--confirm NAME] [--for DURATION]",
		Short: "Take one AZ down, measure what keeps working, bring it back and time the recovery",
		Long: `Take the AZ down for --for, probing every second: a Kubernetes config map written and read
back through the API endpoint, etcd quorum (member list and status of the surviving
control planes), Ceph writability (an object put into the first pool through a surviving
host's SSH, with rados), and which nodes and pods the API reports not Ready. Then bring the
AZ back and time until etcd is healthy, Ceph is HEALTH_OK and every node is Ready.

On the simulator (TRIPOD_SIM) the AZ's datacenter or zone goes dark through the
simulator's admin API. On real infrastructure (or with --via proxmox) the AZ's VMs that
carry the cluster's tag are stopped through Proxmox, and only with --confirm repeating
the AZ's name; a VM without the tag is never touched.

The intent is journaled before the AZ goes down: a drill killed while the AZ is down
brings it back on its next run, before anything else. The report says each promise held
or broken, with the measured times and the first failure as evidence, on the terminal
and in runs/<run id>/drill-az-loss.json in the state directory. Exit 0 when every promise
held, 2 when one broke, 1 when the drill could not run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runAZLoss(cmd.Context(), s, f) },
	}
	addRunFlags(cmd, &f.run)
	cmd.Flags().StringVar(&f.az, "az", "", "the AZ to take down (required)")
	cmd.Flags().StringVar(&f.confirm, "confirm", "", "on real infrastructure, the AZ's name again: its VMs will be stopped")
	cmd.Flags().StringVar(&f.via, "via", viaAuto, "how the AZ goes down: simulator (its admin API darkens the AZ), proxmox (its VMs are stopped), or auto (simulator when TRIPOD_SIM is set)")
	cmd.Flags().DurationVar(&f.down, "for", 2*time.Minute, "how long the AZ stays down (two minutes give over 100 probes, so one lost probe still leaves 99%)")
	cmd.Flags().DurationVar(&f.recover, "recovery-timeout", 15*time.Minute, "how long to wait for the cluster to be healthy again")
	cmd.MarkFlagRequired("az")
	return cmd
}

// drillExitBroken is az-loss's exit code when a promise broke.
const drillExitBroken = 2

func runAZLoss(ctx context.Context, s Streams, f *azLossFlags) error {
	if f.down <= 0 || f.recover <= 0 {
		return fmt.Errorf("--for and --recovery-timeout must be positive durations (e.g. --for 2m)")
	}
	ss, err := openSession(ctx, s, &f.run, "tripod drill az-loss", true)
	if err != nil {
		return err
	}
	defer ss.Close()
	az, err := drillAZ(ss.inv, f.az)
	if err != nil {
		return err
	}
	sw, err := azSwitchFor(ss, f)
	if err != nil {
		return err
	}
	rep := &drill.Report{Cluster: ss.inv.Cluster.Name, AZ: az.Name, Mode: sw.mode(az)}
	// A drill killed while an AZ was down brings it back first, before
	// anything asks the hosts (the dark ones would not answer).
	if rep.Resumed, err = resumeAZs(ctx, ss, sw); err != nil {
		return err
	}
	for _, r := range rep.Resumed {
		fmt.Fprintf(ss.out, "%s\n", r)
	}
	a, err := openAccess(ctx, ss)
	if err != nil {
		return err
	}
	fmt.Fprintf(ss.out, "Checking the cluster is healthy before the drill...\n")
	if pre := a.recovery(ctx, time.Now(), f.recover); pre.Etcd == nil || pre.Ceph == nil || pre.Nodes == nil {
		return fmt.Errorf("the cluster is not healthy before the drill, so it would measure nothing: etcd: %s; ceph: %s; nodes: %s",
			pre.Last["etcd"], pre.Last["ceph"], pre.Last["nodes"])
	}
	sv := survivorsOf(ss.inv, az.Name)
	rep.LeaderBefore = a.leaderName(ctx)
	intent, err := ss.dir.Journal.Intent("drill", "az-loss", actionAZDown, map[string]string{"az": az.Name, "placement": placementOf(az), "mode": rep.Mode})
	if err != nil {
		return err
	}
	fmt.Fprintf(ss.out, "Taking AZ %s down (%s) for %s, probing every second...\n", az.Name, rep.Mode, f.down)
	if err := sw.set(ctx, az, true); err != nil {
		return fmt.Errorf("failed to take AZ %s down: %w", az.Name, err)
	}
	rep.DownAt = time.Now().UTC()
	rep.Samples = a.probeFor(ctx, sv, f.down)
	// Bring it back even when the context ended (Ctrl-C): never leave the
	// AZ down behind a drill that was interrupted politely.
	if err := sw.set(context.WithoutCancel(ctx), az, false); err != nil {
		return fmt.Errorf("failed to bring AZ %s back (run the drill again to retry): %w", az.Name, err)
	}
	rep.BackAt = time.Now().UTC()
	if err := ss.dir.Journal.Complete(intent, map[string]string{"back": rep.BackAt.Format(time.RFC3339)}); err != nil {
		return err
	}
	fmt.Fprintf(ss.out, "AZ %s is back; timing the recovery...\n", az.Name)
	rep.Recovery = a.recovery(ctx, rep.BackAt, f.recover)
	a.removeProbe(ctx)
	rep.Judge()
	path, err := writeDrillReport(ss.dir, rep)
	if err != nil {
		return err
	}
	if f.run.output == "json" {
		if err := json.NewEncoder(s.Out).Encode(rep); err != nil {
			return err
		}
	} else {
		rep.WriteText(s.Out)
		fmt.Fprintf(s.Out, "  report: %s\n", path)
	}
	if !rep.Held() {
		return &exitError{code: drillExitBroken}
	}
	return nil
}

// probeFor samples once a second for d.
func (a *clusterAccess) probeFor(ctx context.Context, sv survivors, d time.Duration) []drill.Sample {
	var out []drill.Sample
	end := time.Now().Add(d)
	for seq := 1; time.Now().Before(end) && ctx.Err() == nil; seq++ {
		start := time.Now()
		out = append(out, a.sample(ctx, sv, seq))
		sleepCtx(ctx, time.Second-time.Since(start))
	}
	return out
}

// drillAZ is the inventory's AZ named name.
func drillAZ(inv *inventory.Loaded, name string) (inventory.AZ, error) {
	var names []string
	for _, az := range inv.Cluster.AZs {
		if az.Name == name {
			return az, nil
		}
		names = append(names, az.Name)
	}
	return inventory.AZ{}, fmt.Errorf("--az %q is not an AZ of %s: its AZs are %v", name, inv.File, names)
}

// placementOf is the datacenter or zone the AZ's hosts are in.
func placementOf(az inventory.AZ) string {
	if az.Datacenter != "" {
		return az.Datacenter
	}
	return az.Zone
}

func writeDrillReport(dir *state.Dir, rep *drill.Report) (string, error) {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return "", err
	}
	rel := filepath.Join("runs", dir.RunID, "drill-az-loss.json")
	if err := dir.WriteFile(rel, append(b, '\n'), 0o600); err != nil {
		return "", err
	}
	return filepath.Join(dir.Path, rel), nil
}
