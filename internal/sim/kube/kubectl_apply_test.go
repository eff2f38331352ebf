package kube

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKubectlApplyAndExplain: kubectl apply (client-side, through the
// strategic-merge PATCH, and --server-side) and kubectl explain, which read
// the OpenAPI v3 documents, work as against a real API server, and typos
// are refused by the server's field validation.
func TestKubectlApplyAndExplain(t *testing.T) {
	f, kubectl := kubectlFixture(t)
	must := mustSucceed(t, kubectl)
	var out string
	// apply creates, then patches; explain reads the OpenAPI v3 schema.
	manifest := filepath.Join(t.TempDir(), "cm.yaml")
	writeCM := func(name, meta, data string) {
		t.Helper()
		doc := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  namespace: kube-system\n" + meta + "data:\n" + data
		if err := os.WriteFile(manifest, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	applyCM := func(data string) string {
		t.Helper()
		writeCM("lab-applied", "", data)
		return must("apply", "-f", manifest)
	}
	if out = applyCM("  zone: fr-par-1\n  tier: edge\n"); out != "configmap/lab-applied created\n" {
		t.Errorf("first apply: %q", out)
	}
	if out = must("get", "cm", "lab-applied", "-n", "kube-system", "-o", `jsonpath={.metadata.annotations.kubectl\.kubernetes\.io/last-applied-configuration}`); !strings.Contains(out, `"tier":"edge"`) {
		t.Errorf("last-applied-configuration after apply: %q", out)
	}
	if out = applyCM("  zone: nl-ams-1\n"); out != "configmap/lab-applied configured\n" {
		t.Errorf("second apply: %q", out)
	}
	if out = must("get", "cm", "lab-applied", "-n", "kube-system", "-o", "jsonpath={.data}"); out != `{"zone":"nl-ams-1"}` {
		t.Errorf("data after the second apply (tier removed, zone changed): %q", out)
	}
	if out = applyCM("  zone: nl-ams-1\n"); out != "configmap/lab-applied unchanged\n" {
		t.Errorf("third apply: %q", out)
	}
	// kubectl leaves field validation to a server that says it does it: a
	// typo is refused, on create and on patch, and nothing is written.
	writeCM("lab-typo", "  lables: {tier: edge}\n", "  zone: fr-par-1\n")
	if out, err := kubectl("apply", "-f", manifest); err == nil || !strings.Contains(out, `strict decoding error: unknown field "metadata.lables"`) {
		t.Errorf("apply with metadata.lables: %v %s", err, out)
	}
	if out, err := kubectl("get", "cm", "lab-typo", "-n", "kube-system"); err == nil || !strings.Contains(out, `"lab-typo" not found`) {
		t.Errorf("a refused apply created the config map: %v %s", err, out)
	}
	writeCM("lab-applied", "", "  zone: fr-par-2\ndatx:\n  zone: fr-par-2\n")
	if out, err := kubectl("apply", "-f", manifest); err == nil || !strings.Contains(out, `strict decoding error: unknown field "datx"`) {
		t.Errorf("apply with datx: %v %s", err, out)
	}
	if out = must("get", "cm", "lab-applied", "-n", "kube-system", "-o", "jsonpath={.data}"); out != `{"zone":"nl-ams-1"}` {
		t.Errorf("data after a refused apply: %q", out)
	}
	// Server-side apply creates, then removes what its manager no longer
	// applies; a field another writer set is a conflict unless forced.
	ssa := func(name, data string, extra ...string) (string, error) {
		t.Helper()
		writeCM(name, "", data)
		return kubectl(append([]string{"apply", "--server-side", "-f", manifest}, extra...)...)
	}
	for _, data := range []string{"  zone: fr-par-1\n  tier: edge\n", "  zone: nl-ams-1\n"} {
		if out, err := ssa("lab-ssa", data); err != nil || out != "configmap/lab-ssa serverside-applied\n" {
			t.Errorf("apply --server-side %q: %v %s", data, err, out)
		}
	}
	if out = must("get", "cm", "lab-ssa", "-n", "kube-system", "-o", "jsonpath={.data} {.metadata.managedFields[*].manager}"); out != `{"zone":"nl-ams-1"} kubectl` {
		t.Errorf("after two server-side applies: %q", out)
	}
	must("create", "configmap", "lab-owned", "--from-literal=zone=fr-par-1", "-n", "kube-system")
	if out, err := ssa("lab-owned", "  zone: fr-par-2\n"); err == nil || !strings.Contains(out, `conflict with "before-first-apply" using v1: .data.zone`) {
		t.Errorf("apply --server-side over another writer's field: %v %s", err, out)
	}
	if out, err := ssa("lab-owned", "  zone: fr-par-2\n", "--force-conflicts"); err != nil || out != "configmap/lab-owned serverside-applied\n" {
		t.Errorf("apply --server-side --force-conflicts: %v %s", err, out)
	}
	if out = must("get", "cm", "lab-owned", "-n", "kube-system", "-o", "jsonpath={.data.zone}"); out != "fr-par-2" {
		t.Errorf("after a forced apply: %q", out)
	}
	// A second apply manager's field is its own: the conflict names it.
	if out, err := ssa("lab-ssa", "  zone: fr-par-3\n", "--field-manager=ops"); err == nil || !strings.Contains(out, `conflict with "kubectl" using v1: .data.zone`) {
		t.Errorf("apply --server-side by a second manager: %v %s", err, out)
	}
	// A secret's stringData is folded into data on apply, as on create.
	secret := filepath.Join(t.TempDir(), "secret.yaml")
	for _, token := range []string{"first", "second"} {
		doc := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: lab-applied\n  namespace: kube-system\nstringData:\n  token: " + token + "\n"
		if err := os.WriteFile(secret, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		must("apply", "-f", secret)
		if out = must("get", "secret", "lab-applied", "-n", "kube-system", "-o", "jsonpath={.data.token}"); out != base64.StdEncoding.EncodeToString([]byte(token)) {
			t.Errorf("secret token after applying %q: %q", token, out)
		}
	}
	out = must("explain", "configmap.data")
	for _, want := range []string{"KIND:       ConfigMap", "FIELD: data <map[string]string>", "Data contains the configuration data."} {
		if !strings.Contains(out, want) {
			t.Errorf("explain configmap.data lacks %q:\n%s", want, out)
		}
	}
	if errs := f.env.Log.Errors(); len(errs) != 0 {
		t.Errorf("kubectl reached unmodelled routes: %+v", errs)
	}
}
