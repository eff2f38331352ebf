package e2e

import (
	"bufio"
	"bytes"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestAZLossDrillReportsWhatBreaks: a second AZ lost during the drill
// (par-dc5 darkened behind the drill's back for 12 seconds) costs etcd
// its quorum, the API its writes and Ceph its min_size: the drill says each
// promise broke, with the failure as evidence, and exits 2. The probes can
// fail; a drill that always says "held" would be worth nothing.
func TestAZLossDrillReportsWhatBreaks(t *testing.T) {
	sim, l, dir := upLab(t)
	cmd := exec.Command(tripodBin, "drill", "az-loss", "--az", "par-dc3", "-i", l.File, "--state-dir", dir, "--for", "30s")
	cmd.Env = append(cleanEnv(), sim.env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	down := make(chan bool, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			stdout.WriteString(sc.Text() + "\n")
			if strings.HasPrefix(sc.Text(), "Taking AZ par-dc3 down") {
				down <- true
			}
		}
	}()
	select {
	case <-down:
	case <-done:
		t.Fatalf("the drill ended before taking the AZ down:\n%s\n%s", stdout.String(), stderr.String())
	}
	time.Sleep(2 * time.Second)
	admin(t, sim, http.MethodPost, "/dark/DC5")
	// Longer than the drill's rados op timeout (5 s): a write blocked by
	// inactive PGs that completes once they are back within it is taken.
	time.Sleep(12 * time.Second)
	admin(t, sim, http.MethodDelete, "/dark/DC5")
	<-done
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Fatalf("drill with a second AZ lost: %v, want exit 2\n%s\n%s", err, stdout.String(), stderr.String())
	}
	rep := drillReport(t, dir)
	broken := map[string]string{}
	for _, p := range rep.Promises {
		if !p.Held {
			broken[p.Name] = p.Evidence
		}
	}
	for _, want := range []string{"Kubernetes API available through the other AZs", "etcd kept quorum", "Ceph stayed writable (size 3, min_size 2)"} {
		if ev, ok := broken[want]; !ok || ev == "" {
			t.Errorf("%q not reported broken with evidence (broken: %v)", want, broken)
		}
	}
	if !strings.Contains(stdout.String(), "BROKEN") {
		t.Errorf("the terminal report says nothing broke:\n%s", stdout.String())
	}
	checkNotDark(t, sim)
}

func admin(t *testing.T, sim *simProc, method, path string) {
	t.Helper()
	req, _ := http.NewRequest(method, sim.admin+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %v %v", method, path, err, resp)
	}
	resp.Body.Close()
}
