package inventory

import (
	_ "embed"
	"encoding/json"
	"net/netip"
	"reflect"
	"strings"
)

//go:generate go test -run TestSchemaUpToDate -update-schema .

// Schema is the inventory's JSON Schema (draft 2020-12), generated from the
// Go types and their doc comments; TestSchemaUpToDate keeps it in step.
//
//go:embed schema.json
var Schema []byte

const ipv4Pattern = `^((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])$`

// GenerateSchema builds the schema by reflection over Cluster. docs maps
// "Type.Field" to the field's doc comment; a doc containing the sentence
// "Required." makes the field required.
func GenerateSchema(docs map[string]string) ([]byte, error) {
	root := schemaFor(reflect.TypeFor[Cluster](), docs)
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = "https://tripod.dev/schemas/" + strings.TrimPrefix(APIVersion, "tripod.dev/") + "/cluster.json"
	root["title"] = "tripod Cluster inventory"
	props := root["properties"].(map[string]any)
	props["apiVersion"].(map[string]any)["const"] = APIVersion
	props["kind"].(map[string]any)["const"] = Kind
	b, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func schemaFor(t reflect.Type, docs map[string]string) map[string]any {
	switch t {
	case reflect.TypeFor[netip.Addr]():
		return map[string]any{"type": "string", "pattern": ipv4Pattern}
	case reflect.TypeFor[netip.Prefix]():
		return map[string]any{"type": "string", "pattern": `^[0-9.]+/[0-9]{1,2}$`}
	case reflect.TypeFor[Size]():
		return map[string]any{"type": "string", "pattern": `^[0-9]+(\.[0-9]+)?\s*(KiB|MiB|GiB|TiB|Ki|Mi|Gi|Ti|KB|MB|GB|TB)$`}
	case reflect.TypeFor[Range]():
		return map[string]any{"type": "string", "pattern": `^[0-9.]+\s*-\s*[0-9.]+$`}
	case reflect.TypeFor[RawYAML]():
		return map[string]any{"description": "a strategic-merge machine-config patch or a list of JSON6902 operations"}
	case reflect.TypeFor[Provider]():
		return enumSchema(Providers)
	case reflect.TypeFor[Role]():
		return enumSchema(Roles)
	case reflect.TypeFor[FailureDomain]():
		return enumSchema(FailureDomains)
	case reflect.TypeFor[PatchTarget]():
		return enumSchema(PatchTargets)
	case reflect.TypeFor[AccessVia]():
		return enumSchema(AccessVias)
	}
	switch t.Kind() {
	case reflect.Pointer:
		return schemaFor(t.Elem(), docs)
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Int, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaFor(t.Elem(), docs)}
	case reflect.Struct:
		return structSchema(t, docs)
	}
	return map[string]any{}
}

func structSchema(t reflect.Type, docs map[string]string) map[string]any {
	props := map[string]any{}
	var required []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		s := schemaFor(f.Type, docs)
		doc := docs[t.Name()+"."+f.Name]
		if doc != "" {
			s["description"] = doc
		}
		if hasSentence(doc, "Required.") {
			required = append(required, name)
		}
		props[name] = s
	}
	out := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}

func hasSentence(doc, sentence string) bool {
	return strings.HasSuffix(doc, sentence) || strings.Contains(doc, sentence+" ")
}

func enumSchema(values []string) map[string]any {
	return map[string]any{"type": "string", "enum": values}
}
