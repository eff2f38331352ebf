// Package tripod_test holds checks on the repository as a whole: that a
// clone in an empty directory has everything its code, tests, scripts and
// docs refer to.
package tripod_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// climbing matches a relative path that starts by going up one or more
// directories. Each match is resolved against the directory of the file that
// holds it (where Go tests, Markdown links, inventories and the Makefile
// all resolve it) and must stay inside the repository.
var climbing = regexp.MustCompile(`(?:^|[\s"'(\x60=:,\[])((?:\.\./)+)([A-Za-z0-9_.-]*)`)

// foreignRoots are absolute places that exist on a developer's machine but
// not in a clone (a workspace, a home directory): naming one is referring
// outside the repository.
var foreignRoots = regexp.MustCompile(`(?:^|[\s"'(\x60=])(/wor[k]/|/home/[a-z]|/Users/[A-Za-z])`)

func TestNoTrackedFileRefersOutsideTheRepository(t *testing.T) {
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	files := trackedFiles(t, root)
	if len(files) < 50 {
		t.Fatalf("found only %d files in %s; the walk is broken", len(files), root)
	}
	for _, rel := range files {
		raw, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.IndexByte(raw, 0) >= 0 {
			continue // binary
		}
		for n, line := range strings.Split(string(raw), "\n") {
			for _, e := range escapes(root, rel, line) {
				t.Errorf("%s:%d: %s; keep what it needs inside the repository and refer to it there", rel, n+1, e)
			}
		}
	}
}

// escapes lists the references in one line of the file rel (relative to
// root) that point outside root.
func escapes(root, rel, line string) []string {
	var out []string
	for _, m := range climbing.FindAllStringSubmatch(line, -1) {
		if target := filepath.Join(root, filepath.Dir(rel), m[1]); !inside(root, target) && !namesRepositoryContent(root, rel, m[2]) {
			out = append(out, fmt.Sprintf("%q climbs out of the repository (to %s) to something it does not hold", strings.TrimSpace(m[0]), target))
		}
	}
	for _, m := range foreignRoots.FindAllStringSubmatch(line, -1) {
		out = append(out, fmt.Sprintf("names %q, a path on someone's machine", m[1]))
	}
	return out
}

// TestEscapesSeesTheShapesThatBrokeClones keeps the check above honest. The
// examples are assembled at run time, so this file holds no escape itself.
func TestEscapesSeesTheShapesThatBrokeClones(t *testing.T) {
	up := ".." + "/"
	ws := "/" + "work" + "/"
	for _, c := range []struct {
		rel, line string
		escapes   bool
	}{
		{"internal/sim/proxmox/conformance_test.go", `const fixtures = "` + up + up + up + up + `shared/fixtures/proxmox/"`, true},
		{"README.md", "The design is in `" + up + "shared/DESIGN.md`.", true},
		{"README.md", "see [the map](" + up + "README.md)", true},
		{"internal/sim/x_test.go", `os.ReadFile("` + ws + `shared/fixtures/a.json")`, true},
		{"inventories/lab.yaml", "    - file: " + up + "templates/common.yaml", false},
		{"internal/stage/x_test.go", `inventory.Load("` + up + up + `inventories/lab.yaml")`, false},
		{"docs/architecture.md", "[README](" + up + "README.md)", false},
		{"internal/cli/x.go", `"~/.kube/config"`, false},
	} {
		if got := len(escapes("/r", c.rel, c.line)) > 0; got != c.escapes {
			t.Errorf("%s: %q: escape found %v, want %v", c.rel, c.line, got, c.escapes)
		}
	}
	// Against this repository: a path relative to a deeper base (an
	// inventory under e2e/testdata naming a patch) lands in it; a climb to
	// a name the repository does not hold does not.
	root, _ := filepath.Abs(".")
	if e := escapes(root, "e2e/preflight_test.go", `"(`+up+up+`internal/talos/testdata/x.yaml)"`); len(e) != 0 {
		t.Errorf("a patch path relative to e2e/testdata was refused: %v", e)
	}
	if e := escapes(root, "e2e/preflight_test.go", `"`+up+up+`shared/fixtures/x"`); len(e) == 0 {
		t.Error("a climb to shared/, which the repository does not hold, was accepted")
	}
}

// namesRepositoryContent reports whether first, the first name after the
// climb, exists in a directory between the file's and the repository's root:
// a path relative to another base (an inventory's patch file, resolved from
// the inventory's own directory) that still lands in the repository.
func namesRepositoryContent(root, rel, first string) bool {
	if first == "" || first == "." || first == ".." {
		return false
	}
	for dir := filepath.Dir(rel); ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(root, dir, first)); err == nil {
			return true
		}
		if dir == "." || dir == "/" {
			return false
		}
	}
}

func inside(root, p string) bool {
	r, err := filepath.Rel(root, p)
	return err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator))
}

// trackedFiles lists the files git tracks, or, outside a git checkout (an
// unpacked archive), every file under root except .git.
func trackedFiles(t *testing.T, root string) []string {
	t.Helper()
	if out, err := exec.Command("git", "-C", root, "ls-files", "-z").Output(); err == nil && len(out) > 0 {
		var files []string
		for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
			if _, err := os.Stat(filepath.Join(root, f)); err == nil {
				files = append(files, f) // skip deletions not yet committed
			}
		}
		return files
	}
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
