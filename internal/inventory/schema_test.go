package inventory

import (
	"bytes"
	"encoding/json"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

var updateSchema = flag.Bool("update-schema", false, "rewrite schema.json from the types")

// fieldDocs reads the doc comment of every struct field in types.go.
func fieldDocs(t *testing.T) map[string]string {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "types.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok {
			return true
		}
		st, ok := ts.Type.(*ast.StructType)
		if !ok {
			return false
		}
		for _, fld := range st.Fields.List {
			if fld.Doc == nil {
				continue
			}
			text := strings.Join(strings.Fields(fld.Doc.Text()), " ")
			for _, name := range fld.Names {
				docs[ts.Name.Name+"."+name.Name] = text
			}
		}
		return false
	})
	return docs
}

// TestSchemaUpToDate fails when types.go changed and schema.json did not:
// run go generate ./internal/inventory.
func TestSchemaUpToDate(t *testing.T) {
	want, err := GenerateSchema(fieldDocs(t))
	if err != nil {
		t.Fatal(err)
	}
	if *updateSchema {
		if err := os.WriteFile("schema.json", want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(want, Schema) {
		t.Fatal("schema.json is stale; run: go generate ./internal/inventory")
	}
}

// TestEveryFieldDocumentsItsDefault holds the inventory to its rule: each
// field says its default, or that it is required.
func TestEveryFieldDocumentsItsDefault(t *testing.T) {
	for field, text := range fieldDocs(t) {
		if !strings.Contains(text, "Default") && !strings.Contains(text, "Required") && !strings.Contains(text, "required") {
			t.Errorf("%s: doc comment states neither a default nor that it is required: %q", field, text)
		}
	}
}

func TestSchemaShape(t *testing.T) {
	var s struct {
		Required   []string                   `json:"required"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(Schema, &s); err != nil {
		t.Fatal(err)
	}
	for _, req := range []string{"apiVersion", "kind", "name", "azs", "network", "talos"} {
		if !strings.Contains(strings.Join(s.Required, ","), req) {
			t.Errorf("%s is not required in the schema (required: %v)", req, s.Required)
		}
	}
	if !bytes.Contains(s.Properties["azs"], []byte(`"enum"`)) {
		t.Error("enums (provider, roles) missing from the azs schema")
	}
}
