package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tripod-dev/tripod/internal/run"
)

// WriteMarkdown writes summary.md: the outcome, the cluster, the stages,
// the calls per API, the failures and the critical path, in GitHub/GitLab
// flavoured Markdown for a CI job summary.
func WriteMarkdown(w io.Writer, in Input) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## tripod %s: cluster `%s` %s\n\n", in.Command, in.Cluster, in.Outcome)
	fmt.Fprintf(&b, "Run `%s`, took %s.\n\n", in.RunID, in.Took.Round(time.Millisecond))
	if len(in.Summary) > 0 {
		b.WriteString("| | |\n|---|---|\n")
		for _, r := range in.Summary {
			fmt.Fprintf(&b, "| %s | %s |\n", cell(r.Label), cell(r.Value))
		}
		b.WriteString("\n")
	}
	b.WriteString("| stage | steps | changed | failed | took |\n|---|---:|---:|---:|---:|\n")
	for _, st := range in.Report.Stages {
		changed, bad := 0, 0
		for _, s := range in.Report.Steps {
			if s.Key.Stage != st.Name {
				continue
			}
			switch s.Status {
			case run.StatusChanged:
				changed++
			case run.StatusFailed, run.StatusBlocked, run.StatusCanceled:
				bad++
			}
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %s |\n", st.Name, st.Steps, changed, bad, st.Duration.Round(time.Millisecond))
	}
	b.WriteString("\n| API | requests | retries | polls |\n|---|---:|---:|---:|\n")
	for _, api := range run.APIs(in.Report.Calls) {
		c := in.Report.Calls[api]
		fmt.Fprintf(&b, "| %s | %d | %d | %d |\n", api, c.Requests, c.Retries, c.Polls)
	}
	if f := in.failures(); len(f) > 0 {
		b.WriteString("\n### Failures\n\n")
		for _, s := range f {
			fmt.Fprintf(&b, "- `%s` %s: %s\n", s.Key, s.Status, oneLine(message(s)))
		}
	}
	if path := CriticalPath(in.Report.Steps); len(path) > 0 {
		keys := make([]string, len(path))
		for i, k := range path {
			keys[i] = "`" + k.String() + "`"
		}
		fmt.Fprintf(&b, "\nCritical path: %s\n", strings.Join(keys, " → "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func cell(s string) string { return strings.ReplaceAll(oneLine(s), "|", "\\|") }
