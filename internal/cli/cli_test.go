package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(args, Streams{In: strings.NewReader(""), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

func TestValidateExitCodes(t *testing.T) {
	code, out, _ := runCLI(t, "validate", "-i", "../../inventories/prod-3az.yaml")
	if code != 0 || !strings.Contains(out, "is valid: 9 hosts, 3 control planes, 9 workers") {
		t.Fatalf("valid: code %d out %q", code, out)
	}
	code, out, errs := runCLI(t, "validate", "-i", "../inventory/testdata/invalid-unknown-offer.yaml")
	if code != 1 || out != "" || !strings.Contains(errs, `invalid-unknown-offer.yaml:25:16: azs[2].hosts[0].offer: unknown offer "CORE-11-L"`) {
		t.Fatalf("invalid: code %d out %q err %q", code, out, errs)
	}
	if strings.Contains(errs, "Error:") {
		t.Errorf("problems were printed twice: %q", errs)
	}
	code, out, _ = runCLI(t, "validate", "-o", "json", "-i", "../inventory/testdata/invalid-quorum.yaml")
	var v struct {
		Valid  bool
		Errors []struct{ Path string }
	}
	if code != 1 || json.Unmarshal([]byte(out), &v) != nil || v.Valid || len(v.Errors) != 1 || v.Errors[0].Path != "azs[0].controlPlanes" {
		t.Fatalf("json: code %d out %q", code, out)
	}
	if code, _, errs := runCLI(t, "validate", "-i", "does-not-exist.yaml"); code != 1 || !strings.Contains(errs, "no such file") {
		t.Fatalf("missing file: %d %q", code, errs)
	}
}

func TestSchemaAndVersion(t *testing.T) {
	code, out, _ := runCLI(t, "schema")
	var s map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &s) != nil || s["$schema"] == nil {
		t.Fatalf("schema: %d %.80q", code, out)
	}
	code, out, _ = runCLI(t, "version", "-o", "json")
	var v map[string]string
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v["talos"] != "v1.13.9" {
		t.Fatalf("version: %d %q", code, out)
	}
}

func TestDownRefusesWrongConfirm(t *testing.T) {
	dir := t.TempDir()
	if code, _, _ := runCLI(t, "status", "-i", "../../inventories/lab.yaml", "--state-dir", dir+"/none"); code != 1 {
		t.Fatalf("status without state should fail")
	}
	code, _, errs := runCLI(t, "up", "-i", "../../inventories/lab.yaml", "--state-dir", dir, "--until", "nosuchstage")
	if code != 1 || !strings.Contains(errs, `unknown stage "nosuchstage"`) {
		t.Fatalf("until: %d %q", code, errs)
	}
	code, _, errs = runCLI(t, "down", "-i", "../../inventories/lab.yaml", "--state-dir", dir, "--confirm", "prod")
	if code != 1 || !strings.Contains(errs, `--confirm "prod" does not match the cluster name "lab"`) {
		t.Fatalf("down: %d %q", code, errs)
	}
}

// TestValidateRendersMachineConfigs: an inventory that loads but whose
// patch makes every node's machine config invalid exits 1, one line per
// node naming the patch and the machinery's message, text and JSON; nothing
// is written beside it.
func TestValidateRendersMachineConfigs(t *testing.T) {
	const inv = "../../e2e/testdata/invalid-machineconfig.yaml"
	code, out, errs := runCLI(t, "validate", "-i", inv)
	const patch = "talos.patches[1]: machine config of %s (../../internal/talos/testdata/machine-type-bogus.yaml): invalid machine config: "
	if code != 1 || out != "" {
		t.Fatalf("code %d out %q err %q", code, out, errs)
	}
	for _, node := range []string{"lab-cp-1", "lab-cp-2", "lab-cp-3", "lab-par-dc2-w-1", "lab-par-dc3-w-1", "lab-par-dc5-w-1"} {
		want := inv + ": " + fmt.Sprintf(patch, node)
		if !strings.Contains(errs, want) || !strings.Contains(errs, `unknown machine type "bogus"`) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	if n := strings.Count(strings.TrimSpace(errs), "\n") + 1; n != 6 || strings.Contains(errs, "Error:") {
		t.Errorf("want one line per node, got %d:\n%s", n, errs)
	}
	code, out, _ = runCLI(t, "validate", "-o", "json", "-i", inv)
	var v struct {
		Valid  bool
		Errors []struct{ Path, Message string }
	}
	if code != 1 || json.Unmarshal([]byte(out), &v) != nil || v.Valid || len(v.Errors) != 6 || v.Errors[0].Path != "talos.patches[1]" {
		t.Fatalf("json: code %d out %q", code, out)
	}
	if _, err := os.Stat("../../e2e/testdata/.tripod"); !os.IsNotExist(err) {
		t.Errorf("validate created a state directory: %v", err)
	}
}
