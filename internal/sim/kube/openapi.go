package kube

import (
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// OpenAPI v3, as kube-apiserver serves it: /openapi/v3 lists a document
// per group version, each with the paths of the resources served there and
// components.schemas for their kinds. kubectl 1.32 reads it for three
// things: whether a kind's PATCH takes the fieldValidation parameter (then
// it leaves validation to the server and needs no /openapi/v2), whether
// the PATCH takes a strategic merge patch (kubectl apply), and the schema
// kubectl explain prints. The schemas hold only the fields the simulator
// serves, with kube-apiserver's descriptions; kinds the simulator computes
// (nodes, pods, ...) describe spec and status as plain objects.

// oapiGroupPath is the key a group version's document has in the root:
// "api/v1" or "apis/<group>/v1".
func oapiGroupPath(group string) string {
	if group == "" {
		return "api/v1"
	}
	return "apis/" + group + "/v1"
}

func (c *Cluster) openAPIRoot(w http.ResponseWriter, r *http.Request) {
	if !c.mayDiscover(w, r) {
		return
	}
	paths := map[string]any{}
	for _, g := range append([]string{""}, c.groups()...) {
		raw, _ := json.Marshal(c.openAPIDoc(g))
		sum := sha512.Sum512(raw)
		paths[oapiGroupPath(g)] = map[string]string{"serverRelativeURL": fmt.Sprintf("/openapi/v3/%s?hash=%X", oapiGroupPath(g), sum)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"paths": paths})
}

// openAPIGroup answers /openapi/v3/api/v1 and /openapi/v3/apis/{group}/v1.
func (c *Cluster) openAPIGroup(w http.ResponseWriter, r *http.Request) {
	if !c.mayDiscover(w, r) {
		return
	}
	g := r.PathValue("group")
	if g != "" && !slices.Contains(c.groups(), g) {
		writeStatus(w, r, http.StatusNotFound, "the server could not find the requested resource")
		return
	}
	writeJSON(w, http.StatusOK, c.openAPIDoc(g))
}

// schemaName is the component a kind's schema has, as kube-apiserver names
// it after the Go package.
func schemaName(group, kind string) string {
	switch group {
	case "":
		return "io.k8s.api.core.v1." + kind
	case "coordination.k8s.io":
		return "io.k8s.api.coordination.v1." + kind
	}
	return "io.k8s.api." + strings.SplitN(group, ".", 2)[0] + ".v1." + kind
}

func (c *Cluster) openAPIDoc(group string) map[string]any {
	schemas := map[string]any{}
	for k, v := range metaSchemas() {
		schemas[k] = v
	}
	paths := map[string]any{}
	for _, res := range c.resources() {
		if res.group != group {
			continue
		}
		name := schemaName(group, res.kind)
		schemas[name] = kindSchema(res)
		schemas[name+"List"] = listSchema(res, name)
		for p, item := range resourcePaths(res, name) {
			paths[p] = item
		}
	}
	return map[string]any{"openapi": "3.0.0", "info": map[string]string{"title": "Kubernetes", "version": "v1.32.0"},
		"paths": paths, "components": map[string]any{"schemas": schemas}}
}

// resourcePaths are the operations served on a resource, each tagged with
// its kind as kube-apiserver tags them.
func resourcePaths(res *resource, schema string) map[string]any {
	gvk := map[string]string{"group": res.group, "version": "v1", "kind": res.kind}
	base := "/" + oapiGroupPath(res.group) + "/"
	if res.namespaced {
		base += "namespaces/{namespace}/"
	}
	ref := func(s string) map[string]any {
		return map[string]any{"application/json": map[string]any{"schema": map[string]string{"$ref": "#/components/schemas/" + s}}}
	}
	query := func(names ...string) []map[string]any {
		var out []map[string]any
		for _, n := range names {
			out = append(out, map[string]any{"name": n, "in": "query", "schema": map[string]string{"type": "string"}})
		}
		return out
	}
	op := func(action, id string, params []map[string]any, body map[string]any, out string) map[string]any {
		o := map[string]any{"operationId": id + res.kind, "x-kubernetes-action": action, "x-kubernetes-group-version-kind": gvk,
			"responses": map[string]any{"200": map[string]any{"description": "OK", "content": ref(out)}}}
		if params != nil {
			o["parameters"] = params
		}
		if body != nil {
			o["requestBody"] = map[string]any{"required": true, "content": body}
		}
		return o
	}
	write := query("dryRun", "fieldManager", "fieldValidation")
	coll, item := map[string]any{}, map[string]any{}
	for _, v := range verbs(res) {
		switch v {
		case "list":
			coll["get"] = op("list", "list", nil, nil, schema+"List")
		case "create":
			coll["post"] = op("post", "create", write, ref(schema), schema)
		case "get":
			item["get"] = op("get", "read", nil, nil, schema)
		case "update":
			item["put"] = op("put", "replace", write, ref(schema), schema)
		case "delete":
			item["delete"] = op("delete", "delete", query("dryRun"), nil, "io.k8s.apimachinery.pkg.apis.meta.v1.Status")
		case "patch":
			body := map[string]any{}
			for _, mt := range servedPatchTypes(res) {
				body[mt] = map[string]any{"schema": map[string]string{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"}}
			}
			item["patch"] = op("patch", "patch", write, body, schema)
		}
	}
	out := map[string]any{}
	if len(coll) > 0 {
		out[base+res.name] = coll
	}
	if len(item) > 0 {
		out[base+res.name+"/{name}"] = item
	}
	return out
}

// servedPatchTypes are the PATCH media types the simulator applies to a
// resource; the document advertises no other.
func servedPatchTypes(res *resource) []string {
	if res.name == "nodes" {
		var out []string
		for mt, ok := range patchTypes {
			if ok {
				out = append(out, mt)
			}
		}
		return out
	}
	return storedPatchTypes
}
