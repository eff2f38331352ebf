package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	clientconfig "github.com/siderolabs/talos/pkg/machinery/client/config"
	"github.com/spf13/cobra"

	"github.com/tripod-dev/tripod/internal/talos"
)

const labInventory = "../../inventories/lab.yaml"

func runCommand(t *testing.T, cmd *cobra.Command, out, errb *bytes.Buffer, args ...string) error {
	t.Helper()
	out.Reset()
	errb.Reset()
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	return cmd.ExecuteContext(context.Background())
}

func writeStateFile(t *testing.T, dir, rel string, data []byte, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, rel)
	if err := os.WriteFile(p, data, mode); err != nil {
		t.Fatal(err)
	}
	os.Chmod(p, mode)
	return p
}

func fakeKubeconfig(server string) []byte {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	return fmt.Appendf(nil, "apiVersion: v1\nkind: Config\nclusters:\n- name: lab\n  cluster:\n    server: %s\n    certificate-authority-data: %s\nusers:\n- name: admin@lab\n  user:\n    client-certificate-data: %s\n    client-key-data: %s\ncontexts:\n- name: admin@lab\n  context:\n    cluster: lab\n    user: admin@lab\ncurrent-context: admin@lab\n",
		server, b64("ca"), b64("crt"), b64("key"))
}

func TestKubeconfigPrintsPathAndMerges(t *testing.T) {
	stateDir, home := t.TempDir(), t.TempDir()
	kube := filepath.Join(home, "kube", "config")
	t.Setenv("KUBECONFIG", kube+string(os.PathListSeparator)+filepath.Join(home, "second"))
	var out, errb bytes.Buffer
	s := Streams{In: strings.NewReader(""), Out: &out, Err: &errb}
	err := runCommand(t, newKubeconfigCommand(s), &out, &errb, "-i", labInventory, "--state-dir", stateDir)
	if err == nil || !strings.Contains(err.Error(), "no kubeconfig at") {
		t.Fatalf("before up: %v", err)
	}
	src := writeStateFile(t, stateDir, talos.KubeconfigFile, fakeKubeconfig("https://10.20.0.10:6443"), 0o600)
	if err := runCommand(t, newKubeconfigCommand(s), &out, &errb, "-i", labInventory, "--state-dir", stateDir); err != nil || strings.TrimSpace(out.String()) != src {
		t.Fatalf("path: %q %v", out.String(), err)
	}
	for i := range 2 {
		if err := runCommand(t, newKubeconfigCommand(s), &out, &errb, "-i", labInventory, "--state-dir", stateDir, "--merge"); err != nil || strings.TrimSpace(out.String()) != kube {
			t.Fatalf("merge %d: %q %v", i, out.String(), err)
		}
		if errb.Len() != 0 {
			t.Errorf("merge %d renamed: %s", i, errb.String())
		}
	}
	writeStateFile(t, stateDir, talos.KubeconfigFile, fakeKubeconfig("https://10.99.0.10:6443"), 0o600)
	if err := runCommand(t, newKubeconfigCommand(s), &out, &errb, "-i", labInventory, "--state-dir", stateDir, "--merge"); err != nil || !strings.Contains(errb.String(), `renamed context "admin@lab" -> "admin@lab-1"`) {
		t.Fatalf("conflict: %q %v", errb.String(), err)
	}
	merged, err := os.ReadFile(kube)
	if err != nil {
		t.Fatal(err)
	}
	k, err := talos.ParseKubeconfig(merged)
	if err != nil || k.Context != "admin@lab-1" || k.Server != "https://10.99.0.10:6443" {
		t.Errorf("merged current context %v %v", k, err)
	}
	if fi, _ := os.Stat(kube); fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v", kube, fi.Mode().Perm())
	}
}

func TestTalosconfigMergesIntoTALOSCONFIG(t *testing.T) {
	stateDir, home := t.TempDir(), t.TempDir()
	dst := filepath.Join(home, "talosconfig")
	t.Setenv("TALOSCONFIG", dst)
	var out, errb bytes.Buffer
	s := Streams{In: strings.NewReader(""), Out: &out, Err: &errb}
	tc, _ := (&clientconfig.Config{Context: "lab", Contexts: map[string]*clientconfig.Context{"lab": {Endpoints: []string{"10.20.0.50", "10.20.0.51", "10.20.0.52"}}}}).Bytes()
	src := writeStateFile(t, stateDir, talos.TalosconfigFile, tc, 0o644)
	err := runCommand(t, newTalosconfigCommand(s), &out, &errb, "-i", labInventory, "--state-dir", stateDir)
	if err == nil || !strings.Contains(err.Error(), "is mode 0644; tripod keeps secrets 0600: chmod 600 it") {
		t.Fatalf("a world-readable talosconfig was accepted: %v", err)
	}
	os.Chmod(src, 0o600)
	if err := runCommand(t, newTalosconfigCommand(s), &out, &errb, "-i", labInventory, "--state-dir", stateDir); err != nil || strings.TrimSpace(out.String()) != src {
		t.Fatalf("path: %q %v", out.String(), err)
	}
	if err := runCommand(t, newTalosconfigCommand(s), &out, &errb, "-i", labInventory, "--state-dir", stateDir, "--merge"); err != nil || strings.TrimSpace(out.String()) != dst {
		t.Fatalf("merge: %q %v", out.String(), err)
	}
	got, err := clientconfig.Open(dst)
	if err != nil || got.Context != "lab" || len(got.Contexts["lab"].Endpoints) != 3 {
		t.Fatalf("merged talosconfig: %+v %v", got, err)
	}
	if fi, _ := os.Stat(dst); fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v", dst, fi.Mode().Perm())
	}
}
