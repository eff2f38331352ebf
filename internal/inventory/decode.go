package inventory

import (
	"encoding"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// decoder turns a YAML node tree into typed values strictly: unknown fields,
// duplicate keys, wrong kinds and bad enum values are all reported, each with
// its YAML path and position, and decoding goes on so that one run reports
// every problem. yaml.v3's own strict mode stops at the first and gives no
// path.
type decoder struct {
	index map[string]*yaml.Node // YAML path -> value node, for positioning later findings
	probs []Problem             // positioned; the loader fills in the file name
	// budget bounds the nodes visited: aliases are followed, so a small
	// hostile file (a "billion laughs") could otherwise expand without end.
	budget int
}

// maxDecodeNodes is far beyond any real inventory (prod-3az is ~300 nodes).
const maxDecodeNodes = 100_000

func newDecoder() *decoder {
	return &decoder{index: map[string]*yaml.Node{}, budget: maxDecodeNodes}
}

func (d *decoder) fail(path string, n *yaml.Node, format string, args ...any) {
	d.probs = append(d.probs, Problem{
		Line: n.Line, Column: n.Column, Path: path,
		Message: fmt.Sprintf(format, args...), Severity: SeverityError,
	})
}

var (
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	rawYAMLType     = reflect.TypeFor[RawYAML]()
)

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if d.budget--; d.budget < 0 {
		if d.budget == -1 {
			d.fail(path, n, "the file expands to more than %d YAML nodes (through aliases); an inventory is far smaller", maxDecodeNodes)
		}
		return
	}
	d.index[path] = n
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an explicit null leaves the default in place
	}
	if v.Type() == rawYAMLType {
		raw, err := rawFromNode(n)
		if err != nil {
			d.fail(path, n, "cannot re-encode YAML: %v", err)
			return
		}
		v.Set(reflect.ValueOf(raw))
		return
	}
	if v.Kind() != reflect.Pointer && reflect.PointerTo(v.Type()).Implements(textUnmarshaler) {
		d.decodeText(n, v, path)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		d.decodeSlice(n, v, path)
	case reflect.String:
		if d.wantScalar(n, path, "a string") {
			v.SetString(n.Value)
		}
	case reflect.Int, reflect.Int64:
		if d.wantScalar(n, path, "an integer") {
			i, err := strconv.ParseInt(n.Value, 10, 64)
			if err != nil || n.Tag == "!!str" {
				d.fail(path, n, "must be an integer, got %q", n.Value)
				return
			}
			v.SetInt(i)
		}
	case reflect.Float64:
		if d.wantScalar(n, path, "a number") {
			f, err := strconv.ParseFloat(n.Value, 64)
			if err != nil || n.Tag == "!!str" {
				d.fail(path, n, "must be a number, got %q", n.Value)
				return
			}
			v.SetFloat(f)
		}
	case reflect.Bool:
		if d.wantScalar(n, path, "true or false") {
			b, err := strconv.ParseBool(n.Value)
			if err != nil || n.Tag != "!!bool" {
				d.fail(path, n, "must be true or false, got %q", n.Value)
				return
			}
			v.SetBool(b)
		}
	default:
		d.fail(path, n, "cannot decode into %s", v.Type())
	}
}

func (d *decoder) wantScalar(n *yaml.Node, path, what string) bool {
	if n.Kind != yaml.ScalarNode {
		d.fail(path, n, "must be %s, got %s", what, kindName(n))
		return false
	}
	return true
}

func (d *decoder) decodeText(n *yaml.Node, v reflect.Value, path string) {
	if !d.wantScalar(n, path, "a string") {
		return
	}
	u := v.Addr().Interface().(encoding.TextUnmarshaler)
	if err := u.UnmarshalText([]byte(n.Value)); err != nil {
		d.fail(path, n, "%s", cleanParseError(err))
	}
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.fail(path, n, "must be a list, got %s", kindName(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
	}
	v.Set(s)
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(path, n, "must be a mapping, got %s", kindName(n))
		return
	}
	fields := yamlFields(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		name := k.Value
		fpath := joinPath(path, name)
		if seen[name] {
			d.fail(fpath, k, "duplicate field %q", name)
			continue
		}
		seen[name] = true
		idx, ok := fields[name]
		if !ok {
			d.fail(fpath, k, "unknown field %q%s", name, suggest(name, fields))
			continue
		}
		before := len(d.probs)
		d.decode(val, v.Field(idx), fpath)
		if len(d.probs) == before {
			d.refuseExplicitZero(val, v.Field(idx), fpath)
		}
	}
}

// refuseExplicitZero fails a field written as its zero value (0, 0GiB, "")
// when the defaulting pass would silently replace that zero with a default:
// the user asked for something tripod would not do. Only the decoder can
// tell, because after decoding a written zero and an absent field look alike.
func (d *decoder) refuseExplicitZero(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || !v.IsZero() {
		return
	}
	def, ok := zeroMeansDefault[indexFreePath(path)]
	if !ok {
		return
	}
	written := n.Value
	if written == "" {
		written = "empty"
	}
	d.fail(path, n, "must not be %s: leave the field out to get the default (%s)", written, def)
}

// indexFreePath turns azs[1].hosts[0].name into azs[].hosts[].name.
func indexFreePath(path string) string {
	var b strings.Builder
	skip := false
	for _, r := range path {
		switch {
		case r == '[':
			skip = true
			b.WriteString("[]")
		case r == ']':
			skip = false
		case !skip:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// yamlFields maps yaml tag names to field indexes.
func yamlFields(t reflect.Type) map[string]int {
	out := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		out[name] = i
	}
	return out
}

func joinPath(parent, field string) string {
	if parent == "" {
		return field
	}
	return parent + "." + field
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

// cleanParseError strips the package prefixes netip puts on its errors, so a
// message reads as one sentence about the user's value.
func cleanParseError(err error) string {
	s := err.Error()
	for _, p := range []string{"netip.ParsePrefix(", "ParseAddr("} {
		if strings.HasPrefix(s, p) {
			return "invalid address or network: " + s
		}
	}
	return s
}

// suggest proposes the closest known field name for a misspelt one.
func suggest(name string, fields map[string]int) string {
	best, bestD := "", 3
	for f := range fields {
		if d := editDistance(strings.ToLower(name), strings.ToLower(f)); d < bestD || (d == bestD && f < best) {
			best, bestD = f, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
