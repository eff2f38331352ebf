package cli

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/tripod-dev/tripod/internal/state/s3state"
)

const gitlabExample = "../../examples/gitlab-ci.yml"

// TestGitLabExampleRunsRealCommands: examples/gitlab-ci.yml is valid YAML,
// every tripod line in its jobs is a command of this build with flags it
// takes, every command that can keep its state in a bucket is given
// --state s3://..., it rebuilds (up) and backs up (backup --to), and no
// credential or age identity is written in it: they are CI variables.
func TestGitLabExampleRunsRealCommands(t *testing.T) {
	data, err := os.ReadFile(gitlabExample)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s is not valid YAML: %v", gitlabExample, err)
	}
	global := stringMap(doc["variables"])
	seen := map[string]bool{}
	for name, v := range doc {
		job, ok := v.(map[string]any)
		if !ok || name == "variables" || name == "default" || name == "workflow" {
			continue
		}
		vars := map[string]string{}
		for k, v := range global {
			vars[k] = v
		}
		for k, v := range stringMap(job["variables"]) {
			vars[k] = v
		}
		for _, line := range scriptLines(job) {
			args := tripodArgs(line)
			if args == nil {
				continue
			}
			for i := range args {
				args[i] = os.Expand(args[i], func(k string) string {
					if v, ok := vars[k]; ok {
						return v
					}
					return "${" + k + "}"
				})
			}
			c := checkTripodLine(t, name, line, args)
			if c == nil {
				continue
			}
			seen[c.CommandPath()] = true
			if f := c.Flags().Lookup("state"); f != nil {
				if _, err := s3state.ParseLocation(f.Value.String()); err != nil {
					t.Errorf("%s: %q: a CI job's state must be in a bucket (--state s3://...), the runner's disk is thrown away: %v", name, line, err)
				}
			}
			for _, url := range []string{"to", "from"} {
				if f := c.Flags().Lookup(url); f != nil && f.Changed {
					if _, err := s3state.ParseLocation(f.Value.String()); err != nil {
						t.Errorf("%s: %q: --%s: %v", name, line, url, err)
					}
				}
			}
		}
		for _, secret := range []string{"SCW_ACCESS_KEY", "SCW_SECRET_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "TRIPOD_AGE_IDENTITY", "TRIPOD_AGE_IDENTITY_FILE"} {
			if _, ok := vars[secret]; ok {
				t.Errorf("%s sets %s in the file: credentials and the age identity belong in CI variables", name, secret)
			}
		}
	}
	for _, want := range []string{"tripod up", "tripod backup"} {
		if !seen[want] {
			t.Errorf("no job runs %s (jobs run %v)", want, seen)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readme, []byte("(examples/gitlab-ci.yml)")) {
		t.Errorf("README.md does not link examples/gitlab-ci.yml")
	}
}

// TestReadmeCIJobsRunRealCommands: the CI jobs shown in README.md name
// only commands and flags this build has.
func TestReadmeCIJobsRunRealCommands(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(readme, -1)
	n := 0
	for _, b := range blocks {
		var doc map[string]any
		if yaml.Unmarshal(b[1], &doc) != nil {
			continue // an inventory excerpt, say
		}
		for name, v := range doc {
			job, _ := v.(map[string]any)
			for _, line := range scriptLines(job) {
				if args := tripodArgs(line); args != nil {
					checkTripodLine(t, "README.md "+name, line, args)
					n++
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("README.md shows no CI job running tripod; this test has nothing to check")
	}
}

// checkTripodLine resolves args in a fresh command tree: a runnable
// command, flags it has, the arguments it takes. It returns the command,
// its flags parsed, or nil after reporting why the line would fail.
func checkTripodLine(t *testing.T, job, line string, args []string) *cobra.Command {
	t.Helper()
	root := NewRootCommand(Streams{})
	c, rest, err := root.Find(args)
	if err != nil || !c.Runnable() {
		t.Errorf("%s: %q: not a tripod command (%v)", job, line, err)
		return nil
	}
	if err := c.ParseFlags(rest); err != nil {
		t.Errorf("%s: %q: %s: %v", job, line, c.CommandPath(), err)
		return nil
	}
	if err := c.ValidateArgs(c.Flags().Args()); err != nil {
		t.Errorf("%s: %q: %s: %v", job, line, c.CommandPath(), err)
		return nil
	}
	return c
}

// scriptLines are a job's before_script, script and after_script lines.
func scriptLines(job map[string]any) []string {
	var out []string
	for _, k := range []string{"before_script", "script", "after_script"} {
		switch v := job[k].(type) {
		case string:
			out = append(out, strings.Split(v, "\n")...)
		case []any:
			for _, l := range v {
				if s, ok := l.(string); ok {
					out = append(out, strings.Split(s, "\n")...)
				}
			}
		}
	}
	return out
}

// tripodArgs splits a shell line into words (quotes honoured) and returns
// the arguments of its tripod command (the word whose base name is tripod),
// up to the first redirection, pipe or separator; nil if it runs none.
func tripodArgs(line string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	flush := func() {
		if inWord {
			words = append(words, cur.String())
		}
		cur.Reset()
		inWord = false
	}
scan:
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			flush()
		case strings.ContainsRune("<>|;&#", r):
			break scan
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	flush()
	for i, w := range words {
		if w == "tripod" || strings.HasSuffix(w, "/tripod") {
			return append([]string{}, words[i+1:]...)
		}
	}
	return nil
}

func stringMap(v any) map[string]string {
	out := map[string]string{}
	m, _ := v.(map[string]any)
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}
