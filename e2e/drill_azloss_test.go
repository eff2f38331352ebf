package e2e

import (
	"bufio"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tripod-dev/tripod/internal/drill"
	"github.com/tripod-dev/tripod/internal/s3test"
)

// s3testForBackups is a fresh S3 server with the tripod-state bucket and
// the environment that reaches it.
func s3testForBackups(t *testing.T) (*s3test.Server, []string) {
	return s3test.ForTest(t, "tripod-state")
}

// TestAZLossDrillKeepsTheClusterServing: with par-dc3 dark for 30 s the
// Kubernetes API answers through the other AZs (above 99% of the writes
// and reads), etcd keeps quorum, Ceph (size 3, min_size 2) takes writes,
// and once it is back the report times etcd, Ceph and the nodes; the AZ
// is not left dark.
func TestAZLossDrillKeepsTheClusterServing(t *testing.T) {
	sim, l, dir := upLab(t)
	r := tripod(t, sim, "drill", "az-loss", "--az", "par-dc3", "-i", l.File, "--state-dir", dir, "--for", "30s")
	if r.code != 0 {
		t.Fatalf("drill: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	rep := drillReport(t, dir)
	if rep.Availability <= drill.MinAvailability || len(rep.Samples) < 25 {
		t.Errorf("API availability %.3f over %d probes, want above %.2f over about 30", rep.Availability, len(rep.Samples), drill.MinAvailability)
	}
	for _, p := range rep.Promises {
		if !p.Held {
			t.Errorf("promise broken: %s: %s (%s)", p.Name, p.Measured, p.Evidence)
		}
	}
	if rep.Recovery.Etcd == nil || rep.Recovery.Ceph == nil || rep.Recovery.Nodes == nil {
		t.Errorf("recovery times missing: %+v", rep.Recovery)
	}
	checkNotDark(t, sim)
	// The probes went where the drill says: rados through a surviving
	// host, and the config map writes.
	rq := sim.requests()
	if rq.APIs["ssh"].Routes["rados put"].Total < len(rep.Samples) {
		t.Errorf("%d rados writes for %d probes", rq.APIs["ssh"].Routes["rados put"].Total, len(rep.Samples))
	}
	if !strings.Contains(r.stdout, "HELD") || strings.Contains(r.stdout, "BROKEN") {
		t.Errorf("the terminal report does not say every promise held:\n%s", r.stdout)
	}
}

// TestAZLossDrillKilledBringsTheAZBack: a drill killed while the AZ is
// dark leaves it dark; the next run brings it back first, says so, and
// reports its own drill.
func TestAZLossDrillKilledBringsTheAZBack(t *testing.T) {
	sim, l, dir := upLab(t)
	cmd := exec.Command(tripodBin, "drill", "az-loss", "--az", "par-dc2", "-i", l.File, "--state-dir", dir, "--for", "5m")
	cmd.Env = append(cleanEnv(), sim.env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	down := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "Taking AZ par-dc2 down") {
				down <- true
			}
		}
		close(down)
	}()
	select {
	case ok := <-down:
		if !ok {
			cmd.Wait()
			t.Fatal("the drill ended before taking the AZ down")
		}
	case <-time.After(time.Until(waitDeadline(t))):
		t.Fatal("the drill never took the AZ down")
	}
	time.Sleep(2 * time.Second) // mid-drill, probes running
	cmd.Process.Kill()
	cmd.Wait()
	var st struct{ Dark []string }
	sim.getJSON("/state", &st)
	if len(st.Dark) != 1 || st.Dark[0] != "dc2" {
		t.Fatalf("after the kill the simulator's dark placements are %v, want [dc2]", st.Dark)
	}
	r := tripod(t, sim, "drill", "az-loss", "--az", "par-dc3", "-i", l.File, "--state-dir", dir, "--for", "5s")
	if r.code != 0 && r.code != 2 {
		t.Fatalf("second drill: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "brought AZ par-dc2 back") {
		t.Errorf("the second drill does not say it brought par-dc2 back:\n%s", r.stdout)
	}
	rep := drillReport(t, dir)
	if rep.AZ != "par-dc3" || len(rep.Resumed) != 1 || len(rep.Samples) == 0 || rep.Recovery.Etcd == nil {
		t.Errorf("second drill's report: az %s, resumed %v, %d samples, recovery %+v", rep.AZ, rep.Resumed, len(rep.Samples), rep.Recovery)
	}
	checkNotDark(t, sim)
}

func checkNotDark(t *testing.T, sim *simProc) {
	t.Helper()
	var st struct{ Dark []string }
	sim.getJSON("/state", &st)
	if len(st.Dark) != 0 {
		t.Errorf("the drill left %v dark", st.Dark)
	}
}

// drillReport reads the one drill-az-loss.json of the newest run.
func drillReport(t *testing.T, dir string) drill.Report {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, "runs", "*", "drill-az-loss.json"))
	if len(paths) == 0 {
		t.Fatal("no runs/*/drill-az-loss.json")
	}
	var rep drill.Report
	readJSON(t, paths[len(paths)-1], &rep)
	return rep
}
