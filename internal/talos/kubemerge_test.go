package talos

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// kubeconfigFor is a Talos-style admin kubeconfig for cluster at server.
func kubeconfigFor(cluster, server string) []byte {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	return fmt.Appendf(nil, `apiVersion: v1
kind: Config
clusters:
- name: %[1]s
  cluster:
    server: %[2]s
    certificate-authority-data: %[3]s
users:
- name: admin@%[1]s
  user:
    client-certificate-data: %[4]s
    client-key-data: %[5]s
contexts:
- context:
    cluster: %[1]s
    namespace: default
    user: admin@%[1]s
  name: admin@%[1]s
current-context: admin@%[1]s
`, cluster, server, b64("ca of "+server), b64("crt of "+server), b64("key of "+server))
}

func TestMergeKubeconfigKeepsOthersAndRenamesConflicts(t *testing.T) {
	existing := []byte("apiVersion: v1\nkind: Config\npreferences: {}\nclusters:\n- name: prod\n  cluster:\n    server: https://prod:6443\ncontexts:\n- name: prod\n  context:\n    cluster: prod\n    user: me\nusers:\n- name: me\n  user:\n    token: abc\ncurrent-context: prod\n")
	out, renames, err := MergeKubeconfig(existing, kubeconfigFor("lab", "https://10.20.0.10:6443"))
	if err != nil || len(renames) != 0 {
		t.Fatalf("first merge: %v %v", renames, err)
	}
	again, renames, err := MergeKubeconfig(out, kubeconfigFor("lab", "https://10.20.0.10:6443"))
	if err != nil || len(renames) != 0 || string(again) != string(out) {
		t.Fatalf("merging the same kubeconfig twice: renames %v err %v changed %v", renames, err, string(again) != string(out))
	}
	out, renames, err = MergeKubeconfig(out, kubeconfigFor("lab", "https://10.99.0.10:6443"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`cluster "lab" -> "lab-1"`, `user "admin@lab" -> "admin@lab-1"`, `context "admin@lab" -> "admin@lab-1"`}
	if strings.Join(renames, ";") != strings.Join(want, ";") {
		t.Errorf("renames %q, want %q", renames, want)
	}
	k, err := ParseKubeconfig(out)
	if err != nil {
		t.Fatal(err)
	}
	if k.Context != "admin@lab-1" || k.Server != "https://10.99.0.10:6443" || string(k.Key) != "key of https://10.99.0.10:6443" {
		t.Errorf("current context %q resolves to %s", k.Context, k.Server)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc["clusters"].([]any)) != 3 || len(doc["users"].([]any)) != 3 || doc["preferences"] == nil {
		t.Errorf("entries lost or duplicated:\n%s", out)
	}
}

func TestMergeKubeconfigIntoNothing(t *testing.T) {
	out, _, err := MergeKubeconfig(nil, kubeconfigFor("lab", "https://10.20.0.10:6443"))
	if err != nil {
		t.Fatal(err)
	}
	if k, err := ParseKubeconfig(out); err != nil || k.Context != "admin@lab" {
		t.Fatalf("%v %v", k, err)
	}
}
