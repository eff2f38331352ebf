package scaleway

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// fixtureDir holds the recorded cassettes kept with the tests
// (testdata/cassettes/SOURCES.md says where each was recorded). A missing
// file is a failure, never a skip.
const fixtureDir = "testdata/cassettes"

// cassette is the part of a go-vcr cassette (format 1 or 2) the replay uses.
type cassette struct {
	Version      int `yaml:"version"`
	Interactions []struct {
		Request struct {
			Body   string `yaml:"body"`
			URL    string `yaml:"url"`
			Method string `yaml:"method"`
		} `yaml:"request"`
		Response struct {
			Body string `yaml:"body"`
			Code int    `yaml:"code"`
		} `yaml:"response"`
	} `yaml:"interactions"`
}

func loadCassette(t *testing.T, name string) cassette {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatalf("a recorded cassette is missing from testdata/cassettes (see its SOURCES.md): %v", err)
	}
	var c cassette
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(c.Interactions) == 0 {
		t.Fatalf("%s: no interactions", name)
	}
	return c
}

// recordedJSON decodes a recorded body; ok is false when it is not JSON.
func recordedJSON(body string) (any, bool) {
	var v any
	if body == "" || json.Unmarshal([]byte(body), &v) != nil {
		return nil, false
	}
	return v, true
}

// shape maps every path of a JSON document to the set of keys found there;
// array elements share their parent's path with a "[]" suffix.
func shape(v any, path string, into map[string]map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		if into[path] == nil {
			into[path] = map[string]bool{}
		}
		for k, e := range x {
			into[path][k] = true
			shape(e, path+"."+k, into)
		}
	case []any:
		for _, e := range x {
			shape(e, path+"[]", into)
		}
	}
}

// missingKeys lists the keys the recorded document has and ours lacks, at
// any level: our answers must be at least as rich as the real ones.
func missingKeys(recorded, ours any) []string {
	rec, got := map[string]map[string]bool{}, map[string]map[string]bool{}
	shape(recorded, "", rec)
	shape(ours, "", got)
	var out []string
	for path, keys := range rec {
		for k := range keys {
			if !got[path][k] {
				out = append(out, path+"."+k)
			}
		}
	}
	sort.Strings(out)
	return out
}

var (
	uuidInText    = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	projectInText = regexp.MustCompile(`"(project_id|organization_id)":\s*"([0-9a-f-]{36})"`)
	emServerPath  = regexp.MustCompile(`^/baremetal/v1/zones/[a-z0-9-]+/servers/[0-9a-f-]{36}$`)
)

// stateOf is the comparable state of a server answer: "status/install", or
// the HTTP code for a miss.
func stateOf(code int, body any) string {
	if code != 200 {
		return "http-" + itoa(code)
	}
	m, _ := body.(map[string]any)
	inst := "-"
	if in, ok := m["install"].(map[string]any); ok {
		inst, _ = in["status"].(string)
	}
	st, _ := m["status"].(string)
	return st + "/" + inst
}

// substitute rewrites recorded IDs into ours.
func substitute(s string, ids map[string]string) string {
	return uuidInText.ReplaceAllStringFunc(s, func(id string) string {
		if v, ok := ids[id]; ok {
			return v
		}
		return id
	})
}

func pathOf(url string) string {
	return strings.TrimPrefix(url, "https://api.scaleway.com")
}
