package kube

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"gopkg.in/yaml.v3"
)

// PATCH of config maps and secrets, as kubectl apply sends it. For these
// kinds a strategic merge patch is a JSON merge patch (RFC 7386): every
// field is a map or a scalar, maps merge key by key and null deletes a
// key. The one difference, lists with a merge strategy (ownerReferences,
// finalizers) and the $-directives that go with them, is not modelled: a
// patch that carries a directive is answered 501 and logged, so a test that
// needs it sees it. The merged object is then stored like an update (the
// same validation, the same etcd condition on the revision read).

// storedPatchTypes are the PATCH media types served on config maps and
// secrets; the OpenAPI document advertises these.
var storedPatchTypes = []string{"application/merge-patch+json", "application/strategic-merge-patch+json", applyPatch}

// applyPatch is server-side apply's media type (stored_apply.go).
const applyPatch = "application/apply-patch+yaml"

// readPatch reads a PATCH body as a JSON object.
func (c *Cluster) readPatch(w http.ResponseWriter, r *http.Request, res *resource, name string) (map[string]any, bool) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	served := false
	for _, t := range storedPatchTypes {
		served = served || t == mt
	}
	_, known := patchTypes[mt]
	switch {
	case !known:
		writeStatus(w, r, http.StatusUnsupportedMediaType, fmt.Sprintf("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got %q)", mt))
		return nil, false
	case !served:
		c.unmodelled(w, fmt.Sprintf("PATCH of %s %s as %s", res.name, name, mt))
		return nil, false
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 3<<20))
	var patch map[string]any
	if err == nil && mt == applyPatch {
		// An applied configuration is YAML (JSON is YAML too).
		err = yaml.Unmarshal(raw, &patch)
		if err == nil && patch == nil {
			err = errors.New("the applied configuration is empty")
		}
		if err != nil {
			writeStatus(w, r, http.StatusBadRequest, "error decoding YAML: "+err.Error())
			return nil, false
		}
		return patch, true
	}
	if err == nil {
		err = json.Unmarshal(raw, &patch)
	}
	if err != nil {
		writeStatus(w, r, http.StatusBadRequest, "error decoding patch: "+err.Error())
		return nil, false
	}
	if d := directive(patch); d != "" {
		c.unmodelled(w, fmt.Sprintf("the strategic merge patch directive %s on %s %s", d, res.name, name))
		return nil, false
	}
	return patch, true
}

// directive finds a strategic merge patch directive ($patch, $retainKeys,
// $setElementOrder/..., $deleteFromPrimitiveList/...) anywhere in a patch.
func directive(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	for k, sub := range m {
		if strings.HasPrefix(k, "$") {
			return k
		}
		if d := directive(sub); d != "" {
			return d
		}
	}
	return ""
}

// mergePatch applies an RFC 7386 merge patch to doc in place.
func mergePatch(doc, patch map[string]any) {
	for k, v := range patch {
		pm, isMap := v.(map[string]any)
		switch dm, dIsMap := doc[k].(map[string]any); {
		case v == nil:
			delete(doc, k)
		case isMap && dIsMap:
			mergePatch(dm, pm)
		case isMap:
			fresh := map[string]any{}
			mergePatch(fresh, pm)
			doc[k] = fresh
		default:
			doc[k] = v
		}
	}
}

// patched is the write body a patch makes of the current object, validated
// as an update's.
func patched(w http.ResponseWriter, r *http.Request, res *resource, cur object, patch map[string]any) (writeBody, bool) {
	raw, err := json.Marshal(typed(res, cur))
	var doc map[string]any
	if err == nil {
		// A deep copy: the merge must not change what was read.
		err = json.Unmarshal(raw, &doc)
	}
	var b writeBody
	if err == nil {
		mergePatch(doc, patch)
		raw, err = json.Marshal(doc)
	}
	if err == nil {
		if !fieldsValid(w, r, res, raw) {
			return b, false
		}
		err = decodeJSON(raw, res, &b)
	}
	return checkBody(w, r, res, b, err)
}
