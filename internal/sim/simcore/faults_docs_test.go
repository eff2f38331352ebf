package simcore

import (
	"os"
	"strings"
	"testing"
)

// TestFaultTableInDocsMatchesCatalogue keeps docs/architecture.md's table
// of clauses in step with the catalogue: every row's clause key is listed.
func TestFaultTableInDocsMatchesCatalogue(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	i := strings.Index(text, "### Faults")
	if i < 0 {
		t.Fatal("docs/architecture.md has no Faults section")
	}
	section := text[i:]
	if j := strings.Index(section[len("### Faults"):], "\n### "); j >= 0 {
		section = section[:len("### Faults")+j]
	}
	for _, r := range FaultCatalogue() {
		if !strings.Contains(section, "`"+r.Usage+"`") {
			t.Errorf("docs/architecture.md's Faults table does not list `%s`", r.Usage)
		}
	}
}
