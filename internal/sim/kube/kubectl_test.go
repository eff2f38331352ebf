package kube

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	stdx509 "crypto/x509"

	"github.com/siderolabs/crypto/x509"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// kubectlFixture is a bootstrapped cluster of three control planes (one per
// zone) and a worker whose kubelet has not started, and a kubeconfig for the
// admin that reaches its API on the loopback address the simulator maps the
// endpoint to.
func kubectlFixture(t *testing.T) (*fixture, func(args ...string) (string, error)) {
	t.Helper()
	bin, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not installed")
	}
	f := newFixture(t, simcore.Instant, 1)
	f.healthy.Store(true)
	f.c.SetBootstrapped(f.env.Now())
	for i, zone := range []string{"fr-par-1", "fr-par-2", "nl-ams-1"} {
		f.c.SetNode(Node{Name: fmt.Sprintf("lab-cp-%d", i+1), InternalIP: fmt.Sprintf("10.20.0.%d", 50+i), ControlPlane: true,
			KubeletSince: f.env.Now(), CPUs: 4, MemoryBytes: 8 << 30, OSImage: "Talos (v1.13.9)",
			Labels: map[string]string{"topology.kubernetes.io/zone": zone}})
	}
	f.c.SetNode(Node{Name: "lab-w-1", InternalIP: "10.20.0.60", OSImage: "Talos (v1.13.9)",
		Labels: map[string]string{"topology.kubernetes.io/zone": "fr-par-1"}})

	kp, err := x509.NewKeyPair(f.ca, x509.CommonName("admin"), x509.Organization("system:masters"),
		x509.ExtKeyUsage([]stdx509.ExtKeyUsage{stdx509.ExtKeyUsageClientAuth}))
	if err != nil {
		t.Fatal(err)
	}
	lo, ok := f.env.Net.Lookup(endpoint)
	if !ok {
		t.Fatal("the endpoint is not mapped to a loopback address")
	}
	b64 := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: lab
  cluster:
    server: https://%s
    tls-server-name: k8s.lab.internal
    certificate-authority-data: %s
users:
- name: admin@lab
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: admin@lab
  context: {cluster: lab, user: admin@lab, namespace: default}
current-context: admin@lab
`, lo, b64(f.ca.CrtPEM), b64(kp.CrtPEM), b64(kp.KeyPEM))
	dir := t.TempDir()
	path := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		limit := 60 * time.Second
		if args[0] == "--watch-for" {
			limit, _ = time.ParseDuration(args[1])
			args = args[2:]
		}
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+path, "HOME="+dir, "KUBECACHEDIR="+filepath.Join(dir, "cache"))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}
	return f, run
}

// mustSucceed wraps kubectl so that a failing command fails the test with
// its output.
func mustSucceed(t *testing.T, kubectl func(args ...string) (string, error)) func(args ...string) string {
	return func(args ...string) string {
		t.Helper()
		out, err := kubectl(args...)
		if err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
}

// TestKubectlCommonCommands runs the real kubectl through the commands an
// operator types after a bring-up, and checks that none reached a route
// the simulator does not model.
func TestKubectlCommonCommands(t *testing.T) {
	f, kubectl := kubectlFixture(t)
	must := mustSucceed(t, kubectl)
	line := func(out, name string) string {
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, name+" ") {
				return strings.Join(strings.Fields(l), " ")
			}
		}
		t.Fatalf("no line for %s in\n%s", name, out)
		return ""
	}

	out := must("get", "nodes", "-o", "wide")
	if got := line(out, "lab-cp-1"); !regexp.MustCompile(`^lab-cp-1 Ready control-plane \S+ v1.36.3 10.20.0.50 <none> Talos \(v1.13.9\) 6.18.9-talos containerd://2.1.5$`).MatchString(got) {
		t.Errorf("get nodes -o wide: %q\n%s", got, out)
	}
	if got := line(out, "lab-w-1"); !strings.HasPrefix(got, "lab-w-1 NotReady <none>") {
		t.Errorf("a worker without a kubelet: %q", got)
	}
	out = must("get", "nodes", "-L", "topology.kubernetes.io/zone")
	if got := line(out, "lab-cp-3"); !strings.HasSuffix(got, " nl-ams-1") || !strings.Contains(out, "ZONE") {
		t.Errorf("get nodes -L zone: %q\n%s", got, out)
	}
	out = must("get", "nodes", "-l", "node-role.kubernetes.io/control-plane", "-o", "name")
	if out != "node/lab-cp-1\nnode/lab-cp-2\nnode/lab-cp-3\n" {
		t.Errorf("get nodes -l control-plane:\n%s", out)
	}
	out = must("get", "nodes", "-l", "!node-role.kubernetes.io/control-plane,topology.kubernetes.io/zone in (fr-par-1,fr-par-2)", "-o", "name")
	if out != "node/lab-w-1\n" {
		t.Errorf("get nodes -l '!control-plane,zone in (...)':\n%s", out)
	}
	out = must("describe", "node", "lab-cp-2")
	for _, want := range []string{"Name:               lab-cp-2", "Roles:              control-plane", "topology.kubernetes.io/zone=fr-par-2",
		"Taints:             node-role.kubernetes.io/control-plane:NoSchedule", "InternalIP:  10.20.0.51", "kube-system                 kube-apiserver-lab-cp-2",
		"HolderIdentity:  lab-cp-2", "Normal  RegisteredNode", "Node lab-cp-2 status is now: NodeReady"} {
		if !strings.Contains(out, want) {
			t.Errorf("describe node lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Registered Node lab-cp-1") {
		t.Errorf("describe node lab-cp-2 shows another node's events:\n%s", out)
	}
	out = must("get", "events")
	if got := strings.Join(strings.Fields(out), " "); !strings.Contains(got, "Normal RegisteredNode node/lab-w-1 Node lab-w-1 event: Registered Node lab-w-1 in Controller") {
		t.Errorf("get events:\n%s", out)
	}

	// wait needs the worker Ready: its kubelet starts while kubectl watches.
	done := make(chan string, 1)
	go func() {
		out, err := kubectl("wait", "--for=condition=Ready", "node", "--all", "--timeout=30s")
		done <- fmt.Sprint(out, err)
	}()
	time.Sleep(1500 * time.Millisecond)
	select {
	case out := <-done:
		t.Fatalf("kubectl wait returned while lab-w-1 was not Ready: %s", out)
	default:
	}
	f.c.SetNode(Node{Name: "lab-w-1", InternalIP: "10.20.0.60", OSImage: "Talos (v1.13.9)", KubeletSince: f.env.Now(),
		Labels: map[string]string{"topology.kubernetes.io/zone": "fr-par-1"}})
	if out := <-done; !strings.Contains(out, "node/lab-w-1 condition met") || !strings.HasSuffix(out, "<nil>") {
		t.Errorf("kubectl wait: %s", out)
	}

	// get --watch prints the list, then a line per change, from Tables.
	go func() {
		time.Sleep(1500 * time.Millisecond)
		f.c.SetNode(Node{Name: "lab-w-1", InternalIP: "10.20.0.60", OSImage: "Talos (v1.13.9)"})
	}()
	out, _ = kubectl("--watch-for", "3s", "get", "nodes", "lab-w-1", "--watch")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME ") ||
		!strings.Contains(lines[1], " Ready ") || !strings.Contains(lines[2], " NotReady ") {
		t.Errorf("get nodes --watch:\n%s", out)
	}

	out = must("get", "ns")
	for _, ns := range systemNamespaces {
		if !strings.HasPrefix(line(out, ns), ns+" Active ") {
			t.Errorf("get ns:\n%s", out)
		}
	}
	out = must("get", "pods", "-A", "-o", "wide")
	for _, want := range []string{"kube-system kube-apiserver-lab-cp-1 1/1 Running 0", "kube-system kube-scheduler-lab-cp-3 1/1 Running 0"} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
			t.Errorf("get pods -A lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "kube-proxy-"); n != 4 {
		t.Errorf("get pods -A: %d kube-proxy pods, want one per node:\n%s", n, out)
	}
	if n := strings.Count(out, "coredns-"); n != 2 {
		t.Errorf("get pods -A: %d coredns pods, want 2:\n%s", n, out)
	}
	out = must("cluster-info")
	if !strings.Contains(out, "Kubernetes control plane") || !strings.Contains(out, "CoreDNS") || !strings.Contains(out, "is running at") {
		t.Errorf("cluster-info:\n%s", out)
	}
	out = must("api-resources")
	for _, want := range []string{"nodes no v1 false Node", "pods po v1 true Pod", "namespaces ns v1 false Namespace", "leases coordination.k8s.io/v1 true Lease"} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
			t.Errorf("api-resources lacks %q:\n%s", want, out)
		}
	}
	out = must("create", "configmap", "lab-settings", "--from-literal=zone=fr-par-1", "-n", "kube-system")
	if out != "configmap/lab-settings created\n" {
		t.Errorf("create configmap: %s", out)
	}
	if out = must("get", "configmap", "lab-settings", "-n", "kube-system", "-o", "jsonpath={.data.zone}"); out != "fr-par-1" {
		t.Errorf("get configmap: %q", out)
	}
	if out, err := kubectl("create", "configmap", "lab-settings", "-n", "kube-system"); err == nil || !strings.Contains(out, `configmaps "lab-settings" already exists`) {
		t.Errorf("a second create: %v %s", err, out)
	}
	out = must("get", "cm", "-A")
	if strings.Count(out, "kube-root-ca.crt") != 4 || !strings.Contains(out, "lab-settings") {
		t.Errorf("get cm -A:\n%s", out)
	}
	if out = must("delete", "configmap", "lab-settings", "-n", "kube-system"); out != "configmap \"lab-settings\" deleted\n" {
		t.Errorf("delete configmap: %s", out)
	}
	if out = must("create", "secret", "generic", "lab-token", "--from-literal=token=s3cr3t", "-n", "kube-system"); out != "secret/lab-token created\n" {
		t.Errorf("create secret: %s", out)
	}
	if out = must("get", "secret", "lab-token", "-n", "kube-system", "-o", "jsonpath={.data.token}"); out != "czNjcjN0" {
		t.Errorf("get secret: %q", out)
	}
	if out = must("get", "secrets", "-n", "kube-system"); !strings.HasPrefix(line(out, "lab-token"), "lab-token Opaque 1 ") {
		t.Errorf("get secrets:\n%s", out)
	}
	if out = must("delete", "secret", "lab-token", "-n", "kube-system"); out != "secret \"lab-token\" deleted\n" {
		t.Errorf("delete secret: %s", out)
	}
	if out = must("auth", "can-i", "delete", "configmaps", "-n", "kube-system"); out != "yes\n" {
		t.Errorf("auth can-i: %q", out)
	}
	if out = must("auth", "whoami", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}"); out != `admin ["system:masters","system:authenticated"]` {
		t.Errorf("auth whoami: %q", out)
	}
	if errs := f.env.Log.Errors(); len(errs) != 0 {
		t.Errorf("kubectl reached unmodelled routes: %+v", errs)
	}
	// Without quorum kubectl prints etcd's error as a real cluster's does.
	f.healthy.Store(false)
	for _, c := range []struct{ args, want string }{
		{"get configmaps", "Error from server: etcdserver: request timed out\n"},
		{"create configmap late --from-literal=k=v", "error: failed to create configmap: etcdserver: request timed out\n"},
	} {
		if out, err := kubectl(strings.Fields(c.args)...); err == nil || out != c.want {
			t.Errorf("kubectl %s without quorum: %v %q, want %q", c.args, err, out, c.want)
		}
	}
}
