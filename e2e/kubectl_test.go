package e2e

import (
	"context"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tripod-dev/tripod/internal/inventory"
)

// checkKubectl runs the real kubectl, unmodified, with the kubeconfig
// `tripod tunnel` wrote, through the commands an operator runs after a
// bring-up, and checks what each prints against the inventory's layout.
func checkKubectl(t *testing.T, kubeconfig string, loaded *inventory.Loaded) {
	t.Helper()
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Log("kubectl is not installed here; the tunnel was checked with the Go clients only")
		return
	}
	// Its own discovery cache, so one test's answers are never read by another.
	base := []string{"--kubeconfig", kubeconfig, "--cache-dir", t.TempDir(), "--request-timeout", "30s"}
	run := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, kubectl, append(base, args...)...).CombinedOutput()
		if err != nil {
			t.Errorf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	vms := loaded.Layout.VMs

	wide := run("get", "nodes", "-o", "wide")
	for _, vm := range vms {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(vm.Name) + `\s+Ready\s.*\s` + regexp.QuoteMeta(vm.Address.String()) + `\s`).MatchString(wide) {
			t.Errorf("kubectl get nodes -o wide has no Ready line for %s at %s:\n%s", vm.Name, vm.Address, wide)
		}
	}
	zones := run("get", "nodes", "-L", "topology.kubernetes.io/zone")
	for _, vm := range vms {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(vm.Name) + `\s.*\s` + regexp.QuoteMeta(vm.AZ) + `\s*$`).MatchString(zones) {
			t.Errorf("kubectl get nodes -L topology.kubernetes.io/zone does not put %s in %s:\n%s", vm.Name, vm.AZ, zones)
		}
	}
	cp := loaded.Layout.ControlPlanes()[0]
	desc := run("describe", "node", cp.Name)
	for _, want := range []string{"Name:               " + cp.Name, "topology.kubernetes.io/zone=" + cp.AZ, "InternalIP:  " + cp.Address.String(), "kube-apiserver-" + cp.Name} {
		if !strings.Contains(desc, want) {
			t.Errorf("kubectl describe node %s lacks %q:\n%s", cp.Name, want, desc)
		}
	}
	if w := run("wait", "--for=condition=Ready", "node", "--all", "--timeout=60s"); strings.Count(w, "condition met") != len(vms) {
		t.Errorf("kubectl wait met the Ready condition on %d nodes, want %d:\n%s", strings.Count(w, "condition met"), len(vms), w)
	}
	pods := run("get", "pods", "-A")
	for _, want := range []string{"kube-apiserver-" + cp.Name, "kube-scheduler-" + cp.Name, "kube-controller-manager-" + cp.Name, "coredns-", "kube-proxy-"} {
		if !regexp.MustCompile(`(?m)^kube-system\s+` + regexp.QuoteMeta(want) + `\S*\s+1/1\s+Running\s`).MatchString(pods) {
			t.Errorf("kubectl get pods -A has no running %s in kube-system:\n%s", want, pods)
		}
	}
	ns := run("get", "ns")
	for _, want := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
		if !regexp.MustCompile(`(?m)^` + want + `\s+Active\s`).MatchString(ns) {
			t.Errorf("kubectl get ns lacks an active %s:\n%s", want, ns)
		}
	}
	if out := run("create", "configmap", "rehearsal", "--from-literal=drill=az-loss"); !strings.Contains(out, "configmap/rehearsal created") {
		t.Errorf("kubectl create configmap: %s", out)
	}
	if out := run("get", "configmap", "rehearsal", "-o", "jsonpath={.data.drill}"); out != "az-loss" {
		t.Errorf("kubectl get configmap rehearsal reads data.drill %q, want az-loss", out)
	}
	if list := run("get", "configmap"); !regexp.MustCompile(`(?m)^rehearsal\s+1\s`).MatchString(list) {
		t.Errorf("kubectl get configmap does not list rehearsal with one key:\n%s", list)
	}
}
