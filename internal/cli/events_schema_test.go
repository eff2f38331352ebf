package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
	"github.com/tripod-dev/tripod/internal/stage"
)

// eventSchema compiles docs/events.schema.json, asserting formats.
func eventSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	b, err := os.ReadFile("../../docs/events.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("events.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("events.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func validLine(sch *jsonschema.Schema, line string) error {
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(line))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

// TestEventStreamMatchesSchema validates every line of a full simulated
// lab up's --output json stream, and of its run log, against the
// documented schema, and shows the schema rejects corrupted lines. The
// simulator fails some requests, so the stream carries retries.
func TestEventStreamMatchesSchema(t *testing.T) {
	sch := eventSchema(t)
	w := startWorld(t)
	spec, err := simcore.ParseFaults("5xx=0.03;429=0.01;unavailable=0.03")
	if err != nil {
		t.Fatal(err)
	}
	w.Env.Faults.Set(spec)
	dir := t.TempDir()
	code, out, errs := runCLI(t, "up", "-i", labInventory, "--state-dir", dir, "-o", "json")
	if code != 0 {
		t.Fatalf("up: exit %d\n%s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	kinds := map[string]int{}
	byKind := map[string]string{}
	for i, l := range lines {
		if err := validLine(sch, l); err != nil {
			t.Fatalf("line %d does not match the schema: %v\n%s", i+1, err, l)
		}
		var e struct{ Kind string }
		json.Unmarshal([]byte(l), &e)
		kinds[e.Kind]++
		byKind[e.Kind] = l
	}
	if !strings.Contains(lines[0], `"kind":"run-start"`) || !strings.Contains(lines[len(lines)-1], `"kind":"run-end"`) {
		t.Errorf("the stream does not open with run-start and close with run-end:\n%s\n%s", lines[0], lines[len(lines)-1])
	}
	for _, k := range []string{"stage-start", "target-start", "mutation", "progress", "retry", "done", "skip"} {
		if kinds[k] == 0 {
			t.Errorf("no %s event in a full lab up: %v", k, kinds)
		}
	}
	if n := len(stage.Names()); kinds["stage-start"] != n {
		t.Errorf("%d stage-start events, want one per stage (%d)", kinds["stage-start"], n)
	}
	if !strings.Contains(byKind["run-end"], `"outcome":"ready","exitCode":0`) {
		t.Errorf("run-end of a ready cluster: %s", byKind["run-end"])
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "runs", "*-up.jsonl"))
	if len(logs) != 1 {
		t.Fatalf("run logs: %v", logs)
	}
	b, _ := os.ReadFile(logs[0])
	for i, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if err := validLine(sch, l); err != nil {
			t.Fatalf("run log line %d does not match the schema: %v\n%s", i+1, err, l)
		}
	}

	// The schema is strict: each corruption of a real line is refused.
	done, end, retried := byKind["done"], byKind["run-end"], byKind["retry"]
	for name, bad := range map[string]string{
		"unknown field":         strings.Replace(done, `"kind":"done"`, `"kind":"done","colour":"green"`, 1),
		"unknown kind":          strings.Replace(done, `"kind":"done"`, `"kind":"finished"`, 1),
		"missing durationMs":    strings.Replace(done, `"durationMs":`, `"duration":`, 1),
		"other version":         strings.Replace(done, `"v":1`, `"v":2`, 1),
		"field of another kind": strings.Replace(done, `"kind":"done"`, `"kind":"done","attempt":2`, 1),
		"bad outcome":           strings.Replace(end, `"outcome":"ready"`, `"outcome":"fine"`, 1),
		"summary field":         strings.Replace(end, `"ready":true`, `"ready":true,"extra":1`, 1),
		"bad time":              strings.Replace(done, `"time":"`, `"time":"yesterday `, 1),
		"retry without api":     strings.Replace(retried, `"api":`, `"API":`, 1),
	} {
		if bad == done || bad == end || bad == retried {
			t.Fatalf("%s: the corruption did not apply to %s", name, done)
		}
		if validLine(sch, bad) == nil {
			t.Errorf("%s: the schema accepts %s", name, bad)
		}
	}
}
