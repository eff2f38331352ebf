package kube

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// The writes to nodes an operator's tool makes when it removes a node:
// cordon (PATCH spec.unschedulable) and delete. Other patches are not
// modelled and fail loudly.

// patchTypes are the media types kube-apiserver accepts for PATCH; the
// simulator applies the two whose semantics for spec.unschedulable agree.
var patchTypes = map[string]bool{
	"application/merge-patch+json": true, "application/strategic-merge-patch+json": true,
	"application/json-patch+json": false, "application/apply-patch+yaml": false,
}

// nodePatch is the only patch modelled: spec.unschedulable.
type nodePatch struct {
	Spec struct {
		Unschedulable *bool `json:"unschedulable"`
	} `json:"spec"`
}

func (c *Cluster) patchNode(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !isAdmin(r) {
		forbidden(w, r, "patch", "nodes", name)
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	modelled, known := patchTypes[mt]
	switch {
	case !known:
		writeStatus(w, r, http.StatusUnsupportedMediaType, fmt.Sprintf("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got %q)", mt))
		return
	case !modelled:
		c.unmodelled(w, fmt.Sprintf("PATCH of node %s as %s", name, mt))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeStatus(w, r, http.StatusBadRequest, err.Error())
		return
	}
	var p nodePatch
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		var probe map[string]any
		if json.Unmarshal(body, &probe) != nil {
			writeStatus(w, r, http.StatusBadRequest, "error decoding patch: "+err.Error())
			return
		}
		c.unmodelled(w, fmt.Sprintf("PATCH of node %s beyond spec.unschedulable: %s", name, body))
		return
	}
	if !c.available(w) {
		return
	}
	c.mu.Lock()
	reg, ok := c.nodes[name]
	if ok {
		if u := p.Spec.Unschedulable; u != nil {
			reg.unschedulable = *u
		}
	}
	c.mu.Unlock()
	c.answerNode(w, r, name, ok)
}

// deleteNode removes the node object; the pods bound to it go with it, as
// the pod garbage collector removes pods of a node that no longer exists.
// The kubelet of a running node does not re-register it until it restarts.
func (c *Cluster) deleteNode(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !isAdmin(r) {
		forbidden(w, r, "delete", "nodes", name)
		return
	}
	if !c.available(w) {
		return
	}
	c.mu.Lock()
	reg, ok := c.nodes[name]
	if ok {
		delete(c.nodes, name)
		c.deleted[name] = reg.KubeletSince
		for k, p := range c.pods {
			if p.Node == name {
				delete(c.pods, k)
			}
		}
	}
	c.mu.Unlock()
	if !ok {
		writeStatusDetails(w, http.StatusNotFound, fmt.Sprintf("nodes %q not found", name), &statusDetails{Name: name, Kind: "nodes"})
		return
	}
	writeJSON(w, http.StatusOK, status{Kind: "Status", APIVersion: "v1", Status: "Success",
		Details: &statusDetails{Name: name, Kind: "nodes", UID: uid(c.spec.Name, name)}, Code: http.StatusOK})
}

// unmodelled answers 501 and records the error a test checks.
func (c *Cluster) unmodelled(w http.ResponseWriter, what string) {
	c.env.Log.Error(simcore.APIKube, "unmodelled", what)
	writeStatus(w, nil, http.StatusNotImplemented, "the simulator does not model "+what)
}
