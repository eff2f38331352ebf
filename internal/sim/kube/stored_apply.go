package kube

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"time"
)

// Server-side apply (PATCH application/apply-patch+yaml) of config maps
// and secrets, with managedFields kept simple: the fields tracked are a
// data key, a label, an annotation and a secret's type; each Apply manager
// has one entry listing what it applied last. Other writes record no
// ownership, so every field an apply manager does not own counts as
// owned by "before-first-apply" (the manager kube-apiserver gives the
// fields of an object that has no managedFields): applying a different
// value to it is a conflict unless forced, which is never kinder than a
// real server, where another manager always owns it. What a manager
// applied before and leaves out now is removed, as the real merge does
// when no one else owns the field.

// applyField is one tracked field: where it is and, for a map, its key.
type applyField struct{ at, key string }

// appliedFields are the tracked fields of an object or applied
// configuration with their values.
func appliedFields(res *resource, doc map[string]any) map[applyField]any {
	out := map[applyField]any{}
	md, _ := doc["metadata"].(map[string]any)
	for at, m := range map[string]any{"data": doc["data"], "labels": md["labels"], "annotations": md["annotations"]} {
		mm, _ := m.(map[string]any)
		for k, v := range mm {
			out[applyField{at, k}] = v
		}
	}
	if t, ok := doc["type"]; ok && res.name == "secrets" {
		out[applyField{"type", ""}] = t
	}
	return out
}

func (f applyField) path() string {
	if f.key == "" {
		return "." + f.at
	}
	if f.at == "data" {
		return ".data." + f.key
	}
	return ".metadata." + f.at + "." + f.key
}

// holder is the map a field lives in, made if create is set.
func (f applyField) holder(doc map[string]any, create bool) map[string]any {
	parent := doc
	if f.at == "labels" || f.at == "annotations" {
		parent, _ = doc["metadata"].(map[string]any)
	}
	if f.key == "" {
		return parent
	}
	m, _ := parent[f.at].(map[string]any)
	if m == nil && create {
		m = map[string]any{}
		parent[f.at] = m
	}
	return m
}

func (f applyField) name() string {
	if f.key == "" {
		return f.at
	}
	return f.key
}

// fieldsV1 is a manager's field set as managedFields writes it.
func fieldsV1(set map[applyField]any) map[string]any {
	out := map[string]any{}
	for f := range set {
		var m map[string]any
		switch f.at {
		case "labels", "annotations":
			md, _ := out["f:metadata"].(map[string]any)
			if md == nil {
				md = map[string]any{}
				out["f:metadata"] = md
			}
			if m, _ = md["f:"+f.at].(map[string]any); m == nil {
				m = map[string]any{".": map[string]any{}}
				md["f:"+f.at] = m
			}
		case "data":
			if m, _ = out["f:data"].(map[string]any); m == nil {
				m = map[string]any{".": map[string]any{}}
				out["f:data"] = m
			}
		default:
			out["f:"+f.at] = map[string]any{}
			continue
		}
		m["f:"+f.key] = map[string]any{}
	}
	return out
}

// ownedBy reads back what fieldsV1 wrote.
func ownedBy(fv map[string]any) map[applyField]bool {
	out := map[applyField]bool{}
	keys := func(at string, m any) {
		mm, _ := m.(map[string]any)
		for k := range mm {
			if strings.HasPrefix(k, "f:") {
				out[applyField{at, strings.TrimPrefix(k, "f:")}] = true
			}
		}
	}
	keys("data", fv["f:data"])
	md, _ := fv["f:metadata"].(map[string]any)
	keys("labels", md["f:labels"])
	keys("annotations", md["f:annotations"])
	if _, ok := fv["f:type"]; ok {
		out[applyField{"type", ""}] = true
	}
	return out
}

// applied is the write body an apply makes of the current object (nil: it
// creates one) and the object's new managedFields.
func (c *Cluster) applied(w http.ResponseWriter, r *http.Request, res *resource, ns, name string, cur *object, cfg map[string]any) (writeBody, []any, bool) {
	manager, force := r.URL.Query().Get("fieldManager"), r.URL.Query().Get("force") == "true"
	if manager == "" {
		writeStatus(w, r, http.StatusBadRequest, "PATCH, application/apply-patch+yaml: fieldManager is required for apply requests")
		return writeBody{}, nil, false
	}
	cfgMeta, _ := cfg["metadata"].(map[string]any)
	if cfgMeta["name"] != name {
		writeStatus(w, r, http.StatusBadRequest, fmt.Sprintf("the name of the object (%v) does not match the name on the URL (%s)", cfgMeta["name"], name))
		return writeBody{}, nil, false
	}
	raw, _ := json.Marshal(cfg)
	if !fieldsValid(w, r, res, raw) {
		return writeBody{}, nil, false
	}
	if sd, ok := cfg["stringData"].(map[string]any); ok && res.name == "secrets" {
		data, _ := cfg["data"].(map[string]any)
		if data == nil {
			data = map[string]any{}
			cfg["data"] = data
		}
		for k, v := range sd {
			data[k] = base64.StdEncoding.EncodeToString([]byte(fmt.Sprint(v)))
		}
		delete(cfg, "stringData")
	}
	doc := map[string]any{"apiVersion": "v1", "kind": res.kind, "metadata": map[string]any{"name": name, "namespace": ns}}
	if cur != nil {
		raw, _ := json.Marshal(typed(res, *cur))
		doc = nil
		_ = json.Unmarshal(raw, &doc)
	}
	md := doc["metadata"].(map[string]any)
	owned := map[applyField]bool{}
	owner := map[applyField]string{} // the other apply managers' fields
	var others []any
	entries, _ := md["managedFields"].([]any)
	for _, e := range entries {
		em, _ := e.(map[string]any)
		fv, _ := em["fieldsV1"].(map[string]any)
		if em["manager"] == manager && em["operation"] == "Apply" {
			owned = ownedBy(fv)
			continue
		}
		for f := range ownedBy(fv) {
			owner[f], _ = em["manager"].(string)
		}
		others = append(others, e)
	}
	want, have := appliedFields(res, cfg), appliedFields(res, doc)
	var conflicts []string
	for f, v := range want {
		if hv, ok := have[f]; ok && !owned[f] && !reflect.DeepEqual(hv, v) {
			by := owner[f]
			if by == "" {
				by = "before-first-apply"
			}
			conflicts = append(conflicts, fmt.Sprintf("conflict with %q using v1: %s", by, f.path()))
		}
	}
	if len(conflicts) > 0 && !force {
		sort.Strings(conflicts)
		writeStatusDetails(w, http.StatusConflict, fmt.Sprintf("Apply failed with %d conflict%s: %s", len(conflicts),
			map[bool]string{true: "s"}[len(conflicts) > 1], strings.Join(conflicts, "\n")), &statusDetails{Name: name, Kind: res.name})
		return writeBody{}, nil, false
	}
	for f := range owned {
		if _, ok := want[f]; !ok {
			if h := f.holder(doc, false); h != nil {
				delete(h, f.name())
			}
		}
	}
	for f, v := range want {
		f.holder(doc, true)[f.name()] = v
	}
	if v, ok := cfgMeta["resourceVersion"]; ok {
		md["resourceVersion"] = v
	}
	mf := append(others, map[string]any{"manager": manager, "operation": "Apply", "apiVersion": "v1",
		"time": c.env.Now().UTC().Format(time.RFC3339), "fieldsType": "FieldsV1", "fieldsV1": fieldsV1(want)})
	raw, err := json.Marshal(doc)
	var b writeBody
	if err == nil {
		err = decodeJSON(raw, res, &b)
	}
	b, ok := checkBody(w, r, res, b, err)
	return b, mf, ok
}
