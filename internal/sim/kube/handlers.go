package kube

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

func (c *Cluster) router() http.Handler {
	rt := simcore.NewRouter(c.env, simcore.APIKube, writeStatus)
	rt.Handle("GET /readyz", false, c.health("readyz", readyzChecks))
	rt.Handle("GET /livez", false, c.health("livez", livezChecks))
	rt.Handle("GET /healthz", false, c.health("healthz", livezChecks))
	rt.Handle("GET /version", false, c.version)
	rt.Handle("GET /api", false, c.apiVersions)
	rt.Handle("GET /apis", false, c.apiGroupList)
	rt.Handle("GET /api/v1", false, c.resourceList)
	rt.Handle("GET /apis/{group}", false, c.apiGroup)
	rt.Handle("GET /apis/{group}/v1", false, c.resourceList)
	rt.Handle("GET /openapi/v3", false, c.openAPIRoot)
	rt.Handle("GET /openapi/v3/api/v1", false, c.openAPIGroup)
	rt.Handle("GET /openapi/v3/apis/{group}/v1", false, c.openAPIGroup)
	rt.Handle("POST /apis/authentication.k8s.io/v1/selfsubjectreviews", false, c.selfSubjectReview)
	rt.Handle("POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews", false, c.selfSubjectAccessReview)
	for _, res := range c.resources() {
		if res.createOnly {
			continue
		}
		base := "/api/v1/"
		if res.group != "" {
			base = "/apis/" + res.group + "/v1/"
		}
		rt.Handle("GET "+base+res.name, false, c.list(res))
		if res.namespaced {
			base += "namespaces/{namespace}/"
			rt.Handle("GET "+base+res.name, false, c.list(res))
		}
		rt.Handle("GET "+base+res.name+"/{name}", false, c.get(res))
	}
	for _, res := range c.resources() {
		if res.stored {
			base := "/api/v1/namespaces/{namespace}/" + res.name
			rt.Handle("POST "+base, true, c.writeStored(res))
			rt.Handle("PUT "+base+"/{name}", true, c.writeStored(res))
			rt.Handle("DELETE "+base+"/{name}", true, c.writeStored(res))
			rt.Handle("PATCH "+base+"/{name}", true, c.writeStored(res))
		}
	}
	rt.Handle("PATCH /api/v1/nodes/{name}", true, c.patchNode)
	rt.Handle("DELETE /api/v1/nodes/{name}", true, c.deleteNode)
	rt.Handle("POST /api/v1/namespaces/{namespace}/pods/{name}/eviction", true, c.evictPod)
	rt.Before = c.authenticate
	return rt
}

// The checks kube-apiserver 1.3x lists, in its order. Readiness has a few
// more than liveness; both fail etcd when it has no quorum, and readiness
// also fails the post-start hooks while the server is still starting.
var livezChecks = []string{
	"ping", "log", "etcd", "kms-providers",
	"poststarthook/start-apiserver-admission-initializer",
	"poststarthook/generic-apiserver-start-informers",
	"poststarthook/priority-and-fairness-config-consumer",
	"poststarthook/priority-and-fairness-filter",
	"poststarthook/storage-object-count-tracker-hook",
	"poststarthook/start-apiextensions-informers",
	"poststarthook/start-apiextensions-controllers",
	"poststarthook/crd-informer-synced",
	"poststarthook/start-system-namespaces-controller",
	"poststarthook/bootstrap-controller",
	"poststarthook/rbac/bootstrap-roles",
	"poststarthook/scheduling/bootstrap-system-priority-classes",
	"poststarthook/start-cluster-authentication-info-controller",
	"poststarthook/aggregator-reload-proxy-client-cert",
	"poststarthook/start-kube-aggregator-informers",
	"poststarthook/apiservice-registration-controller",
	"poststarthook/apiservice-status-available-controller",
	"poststarthook/kube-apiserver-autoregistration",
	"autoregister-completion",
	"poststarthook/apiservice-openapi-controller",
}

// readyzChecks adds etcd-readiness, informer-sync and shutdown to livez's
// list, where kube-apiserver places them.
var readyzChecks = append(append([]string{"ping", "log", "etcd", "etcd-readiness", "kms-providers", "informer-sync"},
	livezChecks[4:]...), "shutdown")

// startingChecks fail while the API server is starting (before OpKubeReady).
var startingChecks = map[string]bool{
	"informer-sync":                                              true,
	"poststarthook/crd-informer-synced":                          true,
	"poststarthook/rbac/bootstrap-roles":                         true,
	"poststarthook/scheduling/bootstrap-system-priority-classes": true,
	"autoregister-completion":                                    true,
}

func (c *Cluster) health(kind string, checks []string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		etcdOK, started := c.etcdHealthy(), c.started()
		var b strings.Builder
		failed := false
		for _, name := range checks {
			ok := true
			switch {
			case name == "etcd" || name == "etcd-readiness":
				ok = etcdOK
			case kind == "readyz" && startingChecks[name]:
				ok = started
			}
			if ok {
				fmt.Fprintf(&b, "[+]%s ok\n", name)
			} else {
				failed = true
				fmt.Fprintf(&b, "[-]%s failed: reason withheld\n", name)
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if failed {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, "%s%s check failed\n", b.String(), kind)
			return
		}
		if _, verbose := r.URL.Query()["verbose"]; verbose {
			fmt.Fprintf(w, "%s%s check passed\n", b.String(), kind)
			return
		}
		fmt.Fprint(w, "ok")
	}
}

// version answers like kube-apiserver's /version for the cluster's release.
func (c *Cluster) version(w http.ResponseWriter, _ *http.Request) {
	major, minor := "1", ""
	if parts := strings.SplitN(strings.TrimPrefix(c.spec.Version, "v"), ".", 3); len(parts) >= 2 {
		major, minor = parts[0], parts[1]
	}
	writeJSON(w, http.StatusOK, map[string]string{
		"major": major, "minor": minor,
		"emulationMajor": major, "emulationMinor": minor,
		"gitVersion":   c.spec.Version,
		"gitCommit":    "0000000000000000000000000000000000000000",
		"gitTreeState": "clean",
		"buildDate":    "2026-01-01T00:00:00Z",
		"goVersion":    "go1.25.5",
		"compiler":     "gc",
		"platform":     "linux/amd64",
	})
}

// user is the authenticated client: common name and groups (organizations).
func user(r *http.Request) (string, []string) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return "system:anonymous", nil
	}
	cert := r.TLS.PeerCertificates[0]
	return cert.Subject.CommonName, cert.Subject.Organization
}

// isAdmin stands in for RBAC on writes: only system:masters (the admin
// kubeconfig) may cordon, delete or evict here.
func isAdmin(r *http.Request) bool {
	_, groups := user(r)
	for _, g := range groups {
		if g == "system:masters" {
			return true
		}
	}
	return false
}

// forbidden answers as RBAC's authorizer does.
func forbidden(w http.ResponseWriter, r *http.Request, verb, resource, name string) {
	u, _ := user(r)
	writeStatusDetails(w, http.StatusForbidden, fmt.Sprintf("%s %q is forbidden: User %q cannot %s resource %q in API group \"\" at the cluster scope", resource, name, u, verb, resource),
		&statusDetails{Name: name, Kind: resource})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// status is metav1.Status, the body of every API error.
type status struct {
	Kind       string         `json:"kind"`
	APIVersion string         `json:"apiVersion"`
	Metadata   struct{}       `json:"metadata"`
	Status     string         `json:"status"`
	Message    string         `json:"message"`
	Reason     string         `json:"reason,omitempty"`
	Details    *statusDetails `json:"details,omitempty"`
	Code       int            `json:"code"`
}

type statusDetails struct {
	Name string `json:"name,omitempty"`
	Kind string `json:"kind,omitempty"`
	UID  string `json:"uid,omitempty"`
}

var reasons = map[int]string{
	http.StatusUnauthorized: "Unauthorized", http.StatusForbidden: "Forbidden", http.StatusNotFound: "NotFound",
	http.StatusTooManyRequests: "TooManyRequests", http.StatusInternalServerError: "InternalError",
	http.StatusServiceUnavailable: "ServiceUnavailable", http.StatusNotImplemented: "NotImplemented",
	http.StatusBadRequest: "BadRequest", http.StatusUnsupportedMediaType: "UnsupportedMediaType",
}

// writeStatus is the router's ErrorWriter: faults and unmodelled routes look
// like API server errors to a Kubernetes client.
func writeStatus(w http.ResponseWriter, _ *http.Request, code int, message string) {
	writeStatusDetails(w, code, message, nil)
}

func writeStatusDetails(w http.ResponseWriter, code int, message string, d *statusDetails) {
	writeJSON(w, code, status{Kind: "Status", APIVersion: "v1", Status: "Failure", Message: message,
		Reason: reasons[code], Details: d, Code: code})
}
