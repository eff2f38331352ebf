package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Loaded is a valid, defaulted inventory with the warnings found on the way.
type Loaded struct {
	Cluster  *Cluster
	File     string    // the path it was read from
	Dir      string    // the directory patch files are relative to
	Layout   *Layout   // the deterministic host, address and VM plan
	Warnings []Problem // findings that do not stop a run
}

// Load reads, decodes strictly, defaults and validates the inventory at path.
// On failure the error is Problems (every problem, positioned) or a plain
// error for an unreadable file.
func Load(path string) (*Loaded, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read inventory: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > MaxInventoryBytes {
		return nil, tooLarge(path, fi.Size())
	}
	// The limit also holds for what Stat cannot size (a pipe, a growing file).
	data, err := io.ReadAll(io.LimitReader(f, MaxInventoryBytes+1))
	if err != nil {
		return nil, fmt.Errorf("failed to read inventory: %w", err)
	}
	return LoadBytes(path, data, filepath.Dir(path))
}

// MaxInventoryBytes caps the inventory file. A real inventory is a few KiB
// (prod-3az is 2 KiB); parsing YAML costs about ten times the file's size in
// memory, so an unbounded file is an unbounded allocation.
const MaxInventoryBytes = 4 << 20

func tooLarge(name string, size int64) Problems {
	return Problems{{File: name, Severity: SeverityError, Message: fmt.Sprintf(
		"the file is %d bytes, more than the 4 MiB an inventory may be; check that -i names the inventory", size)}}
}

// LoadBytes is Load for data already in memory; name is used in messages and
// dir is where patch files are looked up.
func LoadBytes(name string, data []byte, dir string) (*Loaded, error) {
	if len(data) > MaxInventoryBytes {
		return nil, tooLarge(name, int64(len(data)))
	}
	root, perr := parseDocument(name, data)
	if perr != nil {
		return nil, Problems{*perr}
	}
	if probs := checkHeader(name, root); len(probs) > 0 {
		return nil, probs
	}
	d := newDecoder()
	var c Cluster
	d.decode(root, reflect.ValueOf(&c).Elem(), "")
	if len(d.probs) > 0 {
		for i := range d.probs {
			d.probs[i].File = name
		}
		sortProblems(d.probs)
		return nil, Problems(d.probs)
	}
	SetDefaults(&c)
	layout, fs := Validate(&c, dir)
	errs, warns := position(name, d.index, root, fs)
	if len(errs) > 0 {
		return nil, errs
	}
	return &Loaded{Cluster: &c, File: name, Dir: dir, Layout: layout, Warnings: warns}, nil
}

var yamlLineRE = regexp.MustCompile(`^line (\d+)`)

// parseDocument parses exactly one YAML document whose root is a mapping.
func parseDocument(name string, data []byte) (*yaml.Node, *Problem) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Problem{File: name, Message: "the file is empty; want an inventory starting with apiVersion: " + APIVersion, Severity: SeverityError}
		}
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		p := &Problem{File: name, Severity: SeverityError}
		// yaml.v3 reports syntax errors as text only; the line is the one
		// structured fact it carries, and it moves into the position.
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			p.Line, _ = strconv.Atoi(m[1])
			p.Column = 1
			msg = strings.TrimPrefix(msg[len(m[0]):], ": ")
		}
		p.Message = "invalid YAML: " + msg
		return nil, p
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Problem{File: name, Line: extra.Line, Column: extra.Column, Message: "a second YAML document; an inventory is exactly one document", Severity: SeverityError}
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		line := 1
		if len(doc.Content) > 0 {
			line = doc.Content[0].Line
		}
		return nil, &Problem{File: name, Line: line, Column: 1, Message: "the inventory must be a YAML mapping starting with apiVersion: " + APIVersion, Severity: SeverityError}
	}
	return doc.Content[0], nil
}

// checkHeader reads apiVersion and kind before anything else, so a file of
// another kind or version gets one sentence instead of a cascade of
// unknown-field errors.
func checkHeader(name string, root *yaml.Node) Problems {
	get := func(key string) *yaml.Node {
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value == key {
				return root.Content[i+1]
			}
		}
		return nil
	}
	var probs Problems
	at := func(n *yaml.Node, path, msg string) {
		p := Problem{File: name, Line: root.Line, Column: root.Column, Path: path, Message: msg, Severity: SeverityError}
		if n != nil {
			p.Line, p.Column = n.Line, n.Column
		}
		probs = append(probs, p)
	}
	if v := get("apiVersion"); v == nil {
		at(nil, "apiVersion", "missing; want apiVersion: "+APIVersion)
	} else if v.Value != APIVersion {
		at(v, "apiVersion", fmt.Sprintf("unsupported apiVersion %q; this tripod reads %s", v.Value, APIVersion))
	}
	if v := get("kind"); v == nil {
		at(nil, "kind", "missing; want kind: "+Kind)
	} else if v.Value != Kind {
		at(v, "kind", fmt.Sprintf("unsupported kind %q; want %s", v.Value, Kind))
	}
	return probs
}

// position gives each validation finding the line and column of the closest
// node that exists in the file (a defaulted field has none of its own).
func position(name string, index map[string]*yaml.Node, root *yaml.Node, fs findings) (errs, warns Problems) {
	for _, f := range fs {
		n := lookupNode(index, f.path)
		if n == nil {
			n = root
		}
		p := Problem{File: name, Line: n.Line, Column: n.Column, Path: f.path, Message: f.msg, Severity: f.severity}
		if f.severity == SeverityWarning {
			warns = append(warns, p)
		} else {
			errs = append(errs, p)
		}
	}
	sortProblems(errs)
	sortProblems(warns)
	return errs, warns
}

func lookupNode(index map[string]*yaml.Node, path string) *yaml.Node {
	for {
		if n, ok := index[path]; ok {
			return n
		}
		if path == "" {
			return nil
		}
		cut := strings.LastIndexAny(path, ".[")
		if cut < 0 {
			path = ""
		} else {
			path = path[:cut]
		}
	}
}
