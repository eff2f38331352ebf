package inventory

import (
	"fmt"
	"sort"
	"strings"
)

// Severity separates errors, which stop a run, from warnings, which do not.
type Severity string

// The severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Problem is one finding about an inventory, positioned in its file.
type Problem struct {
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Column   int      `json:"column"`
	Path     string   `json:"path"` // YAML path: azs[2].hosts[0].offer
	Message  string   `json:"message"`
	Severity Severity `json:"severity"`
}

// String renders file:line:col: path: message.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", p.Line, p.Column)
	}
	b.WriteString(": ")
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every error found in one inventory. It is an error.
type Problems []Problem

// Error lists every problem, one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// sortProblems orders problems by position, then path, so output is stable.
func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.Path < b.Path
	})
}

// finding is a problem before it is positioned: validation works on typed
// values and knows paths, not lines.
type finding struct {
	path     string
	msg      string
	severity Severity
}

type findings []finding

func (f *findings) errorf(path, format string, args ...any) {
	*f = append(*f, finding{path: path, msg: fmt.Sprintf(format, args...), severity: SeverityError})
}

func (f *findings) warnf(path, format string, args ...any) {
	*f = append(*f, finding{path: path, msg: fmt.Sprintf(format, args...), severity: SeverityWarning})
}
