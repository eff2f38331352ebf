package kube

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
)

// The two reviews an operator's kubectl asks about itself: `auth whoami`
// (authentication.k8s.io SelfSubjectReview) and `auth can-i`
// (authorization.k8s.io SelfSubjectAccessReview), answered by the same
// stand-in for RBAC the handlers use.

// resourceAttributes is authorization/v1 ResourceAttributes.
type resourceAttributes struct {
	Namespace   string `json:"namespace,omitempty"`
	Verb        string `json:"verb,omitempty"`
	Group       string `json:"group,omitempty"`
	Version     string `json:"version,omitempty"`
	Resource    string `json:"resource,omitempty"`
	Subresource string `json:"subresource,omitempty"`
	Name        string `json:"name,omitempty"`
}

type nonResourceAttributes struct {
	Path string `json:"path,omitempty"`
	Verb string `json:"verb,omitempty"`
}

type accessReviewSpec struct {
	ResourceAttributes    *resourceAttributes    `json:"resourceAttributes,omitempty"`
	NonResourceAttributes *nonResourceAttributes `json:"nonResourceAttributes,omitempty"`
}

// allowed is the decision: system:masters may do anything; a kubelet
// (system:nodes) may read nodes; every authenticated user may read the
// health, version and discovery paths.
func allowed(groups []string, s accessReviewSpec) bool {
	if slices.Contains(groups, "system:masters") {
		return true
	}
	if ra := s.ResourceAttributes; ra != nil {
		return slices.Contains(groups, "system:nodes") && ra.Resource == "nodes" && ra.Group == "" &&
			slices.Contains([]string{"get", "list", "watch"}, ra.Verb)
	}
	if nr := s.NonResourceAttributes; nr != nil && nr.Verb == "get" {
		return slices.Contains([]string{"/api", "/apis", "/healthz", "/livez", "/readyz", "/version"}, nr.Path)
	}
	return false
}

func (c *Cluster) selfSubjectAccessReview(w http.ResponseWriter, r *http.Request) {
	if !c.mayDiscover(w, r) {
		return
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var spec accessReviewSpec
	var err error
	switch mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt {
	case "application/json":
		var body struct {
			Spec accessReviewSpec `json:"spec"`
		}
		err = json.Unmarshal(raw, &body)
		spec = body.Spec
	case "application/vnd.kubernetes.protobuf":
		spec, err = decodeAccessReviewProto(raw)
	default:
		writeStatus(w, r, http.StatusUnsupportedMediaType, "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf")
		return
	}
	if err != nil || (spec.ResourceAttributes == nil) == (spec.NonResourceAttributes == nil) {
		writeStatus(w, r, http.StatusUnprocessableEntity, `SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified`)
		return
	}
	_, groups := user(r)
	writeJSON(w, http.StatusCreated, map[string]any{"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
		"metadata": map[string]any{"creationTimestamp": nil}, "spec": spec, "status": map[string]any{"allowed": allowed(groups, spec)}})
}

func (c *Cluster) selfSubjectReview(w http.ResponseWriter, r *http.Request) {
	if !c.mayDiscover(w, r) {
		return
	}
	name, groups := user(r)
	writeJSON(w, http.StatusCreated, map[string]any{"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
		"metadata": map[string]any{"creationTimestamp": nil},
		"status":   map[string]any{"userInfo": map[string]any{"username": name, "groups": append(slices.Clone(groups), "system:authenticated")}}})
}

// decodeAccessReviewProto reads a protobuf SelfSubjectAccessReview's spec
// (field 2: resourceAttributes 1, nonResourceAttributes 2).
func decodeAccessReviewProto(raw []byte) (accessReviewSpec, error) {
	var spec accessReviewSpec
	var obj []byte
	msg, ok := bytes.CutPrefix(raw, protoMagic)
	if !ok {
		return spec, errors.New("missing the k8s protobuf prefix")
	}
	err := fields(msg, func(n protowire.Number, v []byte) error {
		if n == 2 {
			obj = v
		}
		return nil
	})
	if err != nil {
		return spec, err
	}
	return spec, fields(obj, func(n protowire.Number, v []byte) error {
		if n != 2 {
			return nil
		}
		return fields(v, func(n protowire.Number, v []byte) error {
			switch n {
			case 1:
				ra := &resourceAttributes{}
				spec.ResourceAttributes = ra
				return fields(v, func(n protowire.Number, s []byte) error {
					if n >= 1 && n <= 7 {
						*[]*string{&ra.Namespace, &ra.Verb, &ra.Group, &ra.Version, &ra.Resource, &ra.Subresource, &ra.Name}[n-1] = string(s)
					}
					return nil
				})
			case 2:
				nr := &nonResourceAttributes{}
				spec.NonResourceAttributes = nr
				return fields(v, func(n protowire.Number, s []byte) error {
					if n == 1 {
						nr.Path = string(s)
					} else if n == 2 {
						nr.Verb = string(s)
					}
					return nil
				})
			}
			return nil
		})
	})
}
