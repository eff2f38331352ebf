package simtest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const importPath = "github.com/tripod-dev/tripod/internal/simtest"

// TestOnlyTestsImportTheKit: no non-test Go file in the repository imports
// simtest, so no binary links the kit.
func TestOnlyTestsImportTheKit(t *testing.T) {
	if bad := nonTestImporters(t, "../.."); len(bad) > 0 {
		t.Errorf("non-test files import %s, which only tests may: %v", importPath, bad)
	}
}

// TestGuardFindsAnImporter: the guard sees a non-test importer and passes
// over a test one, so the check above can fail.
func TestGuardFindsAnImporter(t *testing.T) {
	root := t.TempDir()
	src := "package x\n\nimport _ \"" + importPath + "\"\n"
	for _, f := range []string{"a/uses.go", "a/uses_test.go"} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(f)), 0o755)
		if err := os.WriteFile(filepath.Join(root, f), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got := nonTestImporters(t, root); !slices.Equal(got, []string{"a/uses.go"}) {
		t.Errorf("guard found %v, want [a/uses.go]", got)
	}
}

// nonTestImporters lists the non-test .go files below root that import
// the kit.
func nonTestImporters(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, im := range f.Imports {
			if v, _ := strconv.Unquote(im.Path.Value); v == importPath {
				rel, _ := filepath.Rel(root, p)
				out = append(out, filepath.ToSlash(rel))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
