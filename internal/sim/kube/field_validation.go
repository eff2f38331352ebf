package kube

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
)

// Server-side field validation (the fieldValidation query parameter). The
// OpenAPI document says the writes take it, so kubectl apply and create
// leave validation to the server and send fieldValidation=Strict; a field
// the API does not know is then the API server's 400, and with Warn (the
// default) a Warning header, which kubectl prints. Checked are a config
// map's or secret's top-level fields and its metadata's, which is where a
// manifest's typo lands for these kinds; the insides of ownerReferences and
// managedFields are not.

var objectMetaFields = []string{"name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
	"creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences",
	"finalizers", "managedFields"}

// topFields are the fields of a v1 object of the resource.
func topFields(res *resource) []string {
	if res.name == "secrets" {
		return []string{"apiVersion", "kind", "metadata", "data", "stringData", "type", "immutable"}
	}
	return []string{"apiVersion", "kind", "metadata", "data", "binaryData", "immutable"}
}

// unknownFields lists, sorted, the fields of a JSON object the resource's
// kind does not have. A body that is not a JSON object has none here: its
// decoding fails later with its own error.
func unknownFields(raw []byte, res *resource) []string {
	var top map[string]json.RawMessage
	if json.Unmarshal(raw, &top) != nil {
		return nil
	}
	var out []string
	for k, v := range top {
		if !slices.Contains(topFields(res), k) {
			out = append(out, k)
			continue
		}
		var md map[string]json.RawMessage
		if k == "metadata" && json.Unmarshal(v, &md) == nil {
			for mk := range md {
				if !slices.Contains(objectMetaFields, mk) {
					out = append(out, "metadata."+mk)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// fieldsValid applies the request's fieldValidation to a JSON body: false
// when the answer (400) has been written.
func fieldsValid(w http.ResponseWriter, r *http.Request, res *resource, raw []byte) bool {
	mode := r.URL.Query().Get("fieldValidation")
	if mode == "Ignore" {
		return true
	}
	unknown := unknownFields(raw, res)
	if len(unknown) == 0 {
		return true
	}
	if mode == "Strict" {
		var msgs []string
		for _, f := range unknown {
			msgs = append(msgs, fmt.Sprintf("unknown field %q", f))
		}
		writeStatus(w, r, http.StatusBadRequest, fmt.Sprintf("%s in version \"v1\" cannot be handled as a %s: strict decoding error: %s", res.kind, res.kind, strings.Join(msgs, ", ")))
		return false
	}
	for _, f := range unknown {
		w.Header().Add("Warning", fmt.Sprintf("299 - %q", fmt.Sprintf("unknown field %q", f)))
	}
	return true
}
