package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/client"
	clientconfig "github.com/siderolabs/talos/pkg/machinery/client/config"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/netx"
	"github.com/tripod-dev/tripod/internal/simtest"
)

// TestTunnelServesKubernetesAndTalosClients brings the lab up with the
// operator outside the private network, opens `tripod tunnel`, and uses
// the configs it writes, unmodified, with a Kubernetes client and the
// Talos machinery client dialing only the local ports: the nodes are
// listed and the etcd members read through the hosts' SSH; kubectl runs
// the commands an operator checks a cluster with; then status, plan and
// down, and no request of the whole run got a 501.
func TestTunnelServesKubernetesAndTalosClients(t *testing.T) {
	sim := startSim(t, "--profile", "instant", "--seed", "5")
	file := "../inventories/lab.yaml"
	loaded, err := inventory.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	r := tripod(t, sim, "up", "-i", file, "--state-dir", dir)
	if r.code != 0 {
		t.Fatalf("up: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// The kubeconfig names the VIP, which nothing outside the private
	// network reaches: up says how to get there.
	if !strings.Contains(r.stdout, "tripod tunnel -i "+file) {
		t.Errorf("up's summary does not say how to reach the APIs from outside the private network:\n%s", r.stdout)
	}
	before := sim.requests()

	cmd := exec.Command(tripodBin, "tunnel", "-i", file, "--state-dir", dir)
	cmd.Env = append(cleanEnv(), sim.env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cmd.Process.Signal(syscall.SIGINT)
			select {
			case <-exited:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
			}
		})
	}
	defer stop()
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		var seen strings.Builder
		for sc.Scan() {
			seen.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "talosctl -n") {
				ready <- seen.String()
			}
		}
		exited <- cmd.Wait()
	}()
	var banner string
	select {
	case banner = <-ready:
	case err := <-exited:
		t.Fatalf("tunnel exited early: %v\n%s", err, stderr.String())
	case <-time.After(time.Until(waitDeadline(t))):
		t.Fatalf("tunnel did not open in time\n%s", stderr.String())
	}
	if !strings.Contains(banner, "Kubernetes API") || strings.Count(banner, "Talos API of") != len(loaded.Layout.ControlPlanes()) {
		t.Fatalf("tunnel banner lacks the forwards:\n%s", banner)
	}

	kpath, tpath := filepath.Join(dir, "local", "tunnel", "kubeconfig"), filepath.Join(dir, "local", "tunnel", "talosconfig")
	for _, p := range []string{kpath, tpath} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v, want a 0600 file", p, err)
		}
	}
	kb, err := os.ReadFile(kpath)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(kb, []byte("insecure-skip-tls-verify")) || !bytes.Contains(kb, []byte("tls-server-name")) {
		t.Fatalf("the tunnel kubeconfig must verify the server by name:\n%s", kb)
	}
	k := simtest.Kubeconfig(t, kb)
	if !strings.HasPrefix(k.Server, "https://127.0.0.1:") {
		t.Fatalf("tunnel kubeconfig server %s, want a local port", k.Server)
	}
	// A plain dialer: the clients reach nothing but 127.0.0.1.
	local := netx.Direct()
	labels := simtest.NodeLabels(t, simtest.KubeClient(t, local, k, time.Until(waitDeadline(t))), k.Server)
	for _, vm := range loaded.Layout.VMs {
		if _, ok := labels[vm.Name]; !ok {
			t.Errorf("node %s not listed through the tunnel", vm.Name)
		}
	}

	// kubectl itself, where installed (it must honour tls-server-name):
	// what an operator checks after a bring-up.
	checkKubectl(t, kpath, loaded)

	cfg, err := clientconfig.Open(tpath)
	if err != nil {
		t.Fatal(err)
	}
	for _, ep := range cfg.Contexts[cfg.Context].Endpoints {
		if !strings.HasPrefix(ep, "127.0.0.1:") {
			t.Fatalf("tunnel talosconfig endpoint %s, want a local port", ep)
		}
	}
	ctx, cancel := context.WithDeadline(context.Background(), waitDeadline(t))
	defer cancel()
	c, err := client.New(ctx, client.WithConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resp, err := c.EtcdMemberList(ctx, nil)
	if err != nil {
		t.Fatalf("etcd members through the tunnel: %v\n%s", err, stderr.String())
	}
	if got := len(resp.GetMessages()[0].GetMembers()); got != len(loaded.Layout.ControlPlanes()) {
		t.Errorf("etcd has %d members through the tunnel, want %d", got, len(loaded.Layout.ControlPlanes()))
	}

	// Everything went through a host's SSH: forwards were opened, and no
	// private service was asked otherwise.
	after := sim.requests()
	if opened := after.sshForwards() - before.sshForwards(); opened == 0 {
		t.Errorf("no direct-tcpip forward was opened through a host's SSH")
	}
	// The same bring-up (one is about a minute of CI) then goes through
	// status, plan and down, once the tunnel has let go of the state
	// directory's lock: nothing in the whole run, the operator's tools
	// included, asked the simulator for what it does not model.
	stop()
	for _, p := range []string{kpath, tpath} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s outlived the tunnel (%v): it holds the admin's keys in clear", p, err)
		}
	}
	statusPlanDown(t, sim, file, dir, loaded.Cluster.Name)
}

// sshForwards counts the direct-tcpip channels the hosts' sshd opened.
func (r requests) sshForwards() int {
	n := 0
	for route, st := range r.APIs["ssh"].Routes {
		if strings.HasPrefix(route, "direct-tcpip") {
			n += st.Total
		}
	}
	return n
}
