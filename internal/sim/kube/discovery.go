package kube

import (
	"crypto/x509"
	"fmt"
	"net/http"
	"slices"
)

// Discovery, as kube-apiserver serves it to a client that asks for the
// legacy documents. kubectl 1.3x asks for the aggregated form first
// (Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,
// ..., application/json); client-go reads the Content-Type of the answer and,
// when it is plain application/json, decodes APIVersions / APIGroupList and
// then fetches each group version's APIResourceList, which is what is served.

// verbs are the verbs the simulator serves on a resource, which is what
// discovery advertises: kubectl then refuses, client-side, what is not here.
func verbs(res *resource) []string {
	if res.verbs != nil {
		return res.verbs
	}
	return []string{"get", "list", "watch"}
}

func (c *Cluster) apiVersions(w http.ResponseWriter, r *http.Request) {
	if !c.mayDiscover(w, r) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"kind": "APIVersions", "versions": []string{"v1"},
		"serverAddressByClientCIDRs": []map[string]string{{"clientCIDR": "0.0.0.0/0", "serverAddress": c.spec.Endpoint}}})
}

func (c *Cluster) groups() []string {
	var out []string
	for _, res := range c.resources() {
		if res.group != "" && !slices.Contains(out, res.group) {
			out = append(out, res.group)
		}
	}
	return out
}

func groupDoc(g string) map[string]any {
	v := map[string]string{"groupVersion": g + "/v1", "version": "v1"}
	return map[string]any{"name": g, "versions": []map[string]string{v}, "preferredVersion": v}
}

func (c *Cluster) apiGroupList(w http.ResponseWriter, r *http.Request) {
	if !c.mayDiscover(w, r) {
		return
	}
	gs := []map[string]any{}
	for _, g := range c.groups() {
		gs = append(gs, groupDoc(g))
	}
	writeJSON(w, http.StatusOK, map[string]any{"kind": "APIGroupList", "apiVersion": "v1", "groups": gs})
}

func (c *Cluster) apiGroup(w http.ResponseWriter, r *http.Request) {
	if !c.mayDiscover(w, r) {
		return
	}
	g := r.PathValue("group")
	if !slices.Contains(c.groups(), g) {
		writeStatus(w, r, http.StatusNotFound, "the server could not find the requested resource")
		return
	}
	doc := groupDoc(g)
	doc["kind"], doc["apiVersion"] = "APIGroup", "v1"
	writeJSON(w, http.StatusOK, doc)
}

// resourceList answers /api/v1 and /apis/{group}/v1.
func (c *Cluster) resourceList(w http.ResponseWriter, r *http.Request) {
	if !c.mayDiscover(w, r) {
		return
	}
	g := r.PathValue("group")
	var list []map[string]any
	for _, res := range c.resources() {
		if res.group != g {
			continue
		}
		doc := map[string]any{"name": res.name, "singularName": res.singular, "namespaced": res.namespaced,
			"kind": res.kind, "verbs": verbs(res)}
		if len(res.shortNames) > 0 {
			doc["shortNames"] = res.shortNames
		}
		if len(res.categories) > 0 {
			doc["categories"] = res.categories
		}
		list = append(list, doc)
		if res.name == "pods" {
			list = append(list, map[string]any{"name": "pods/eviction", "singularName": "", "namespaced": true,
				"group": "policy", "version": "v1", "kind": "Eviction", "verbs": []string{"create"}})
		}
	}
	if list == nil {
		writeStatus(w, r, http.StatusNotFound, "the server could not find the requested resource")
		return
	}
	gv := "v1"
	if g != "" {
		gv = g + "/v1"
	}
	writeJSON(w, http.StatusOK, map[string]any{"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": list})
}

// authenticate runs before every handler: a client certificate that the
// cluster's CA did not sign is 401, as kube-apiserver's x509 authenticator
// answers (the TLS layer only requests a certificate, so that anonymous
// health checks are served).
func (c *Cluster) authenticate(w http.ResponseWriter, r *http.Request) bool {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return true
	}
	inter := x509.NewCertPool()
	for _, ic := range r.TLS.PeerCertificates[1:] {
		inter.AddCert(ic)
	}
	_, err := r.TLS.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: c.ca, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err != nil {
		writeJSON(w, http.StatusUnauthorized, status{Kind: "Status", APIVersion: "v1", Status: "Failure",
			Message: "Unauthorized", Reason: "Unauthorized", Code: http.StatusUnauthorized})
		return false
	}
	return true
}

// mayDiscover: discovery is open to every authenticated user
// (system:discovery); the anonymous user is refused the path.
func (c *Cluster) mayDiscover(w http.ResponseWriter, r *http.Request) bool {
	if u, _ := user(r); u != "system:anonymous" {
		return true
	}
	writeJSON(w, http.StatusForbidden, map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{},
		"status": "Failure", "message": fmt.Sprintf("forbidden: User \"system:anonymous\" cannot get path %q", r.URL.Path),
		"reason": "Forbidden", "details": map[string]any{}, "code": http.StatusForbidden})
	return false
}
