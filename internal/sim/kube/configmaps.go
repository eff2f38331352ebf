package kube

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"time"
)

// Config maps: the one kind an operator writes here (kubectl create, get,
// replace, delete). They are kept in memory, not in the cluster's etcd, so
// an etcd snapshot restore does not bring them back (issue 14 asks for that;
// it is not built). A fresh cluster has kube-root-ca.crt in every namespace
// and CoreDNS's Corefile in kube-system.

type configMap struct {
	namespace, name string
	labels, data    map[string]string
	created         time.Time
	uid             string
}

// configMapBody is a v1 ConfigMap as a client sends it.
type configMapBody struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Metadata   struct {
		Name            string            `json:"name"`
		GenerateName    string            `json:"generateName"`
		Namespace       string            `json:"namespace"`
		ResourceVersion string            `json:"resourceVersion"`
		Labels          map[string]string `json:"labels"`
	} `json:"metadata"`
	Data map[string]string `json:"data"`
}

const corefile = `.:53 {
    errors
    health {
        lameduck 5s
    }
    ready
    log . {
        class error
    }
    prometheus :9153
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
`

// seedConfigMaps places what a fresh cluster holds, once it is bootstrapped.
// c.mu is held.
func (c *Cluster) seedConfigMaps() {
	if c.cmSeeded || c.bootstrapped.IsZero() {
		return
	}
	c.cmSeeded = true
	for _, ns := range systemNamespaces {
		c.configMaps[ns+"/kube-root-ca.crt"] = &configMap{namespace: ns, name: "kube-root-ca.crt", created: c.bootstrapped,
			data: map[string]string{"ca.crt": string(c.spec.CACert)}, uid: uid(c.spec.Name, "cm", ns, "kube-root-ca.crt")}
	}
	c.configMaps["kube-system/coredns"] = &configMap{namespace: "kube-system", name: "coredns", created: c.bootstrapped,
		data: map[string]string{"Corefile": corefile}, uid: uid(c.spec.Name, "cm", "coredns")}
}

func (c *Cluster) configMapObjects() []object {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seedConfigMaps()
	var out []object
	for _, cm := range c.configMaps {
		o := object{namespace: cm.namespace, name: cm.name, labels: cm.labels, created: cm.created}
		md := meta(o)
		md["uid"] = cm.uid
		o.doc = map[string]any{"metadata": md}
		if len(cm.data) > 0 {
			o.doc["data"] = cm.data
		}
		out = append(out, o)
	}
	return out
}

var (
	dnsSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	configKey    = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)
)

// readConfigMap decodes and validates a write's body; the error is the
// API server's 400 or 422 answer.
func readConfigMap(w http.ResponseWriter, r *http.Request) (configMapBody, bool) {
	var b configMapBody
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 3<<20))
	var err error
	switch mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt {
	case "application/json":
		err = json.Unmarshal(raw, &b)
	case "application/vnd.kubernetes.protobuf":
		err = decodeConfigMapProto(raw, &b)
	default:
		writeStatus(w, r, http.StatusUnsupportedMediaType, fmt.Sprintf("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got %q)", mt))
		return b, false
	}
	if err != nil {
		writeStatus(w, r, http.StatusBadRequest, "the object provided is unrecognized: "+err.Error())
		return b, false
	}
	if (b.Kind != "" && b.Kind != "ConfigMap") || (b.APIVersion != "" && b.APIVersion != "v1") {
		writeStatus(w, r, http.StatusBadRequest, fmt.Sprintf("the API version in the data (%s) does not match the expected API version (v1)", b.APIVersion))
		return b, false
	}
	ns := r.PathValue("namespace")
	if b.Metadata.Namespace != "" && b.Metadata.Namespace != ns {
		writeStatus(w, r, http.StatusBadRequest, "the namespace of the provided object does not match the namespace sent on the request")
		return b, false
	}
	if b.Metadata.Name == "" && b.Metadata.GenerateName != "" && r.Method == http.MethodPost {
		b.Metadata.Name = b.Metadata.GenerateName + suffix(5, ns, b.Metadata.GenerateName, time.Now().String())
	}
	size := 0
	for k, v := range b.Data {
		size += len(k) + len(v)
		if !configKey.MatchString(k) {
			writeStatus(w, r, http.StatusUnprocessableEntity, fmt.Sprintf("ConfigMap %q is invalid: data[%s]: Invalid value: %q: a valid config key must consist of alphanumeric characters, '-', '_' or '.'", b.Metadata.Name, k, k))
			return b, false
		}
	}
	switch {
	case b.Metadata.Name == "":
		writeStatus(w, r, http.StatusUnprocessableEntity, "ConfigMap \"\" is invalid: metadata.name: Required value: name or generateName is required")
		return b, false
	case !dnsSubdomain.MatchString(b.Metadata.Name) || len(b.Metadata.Name) > 253:
		writeStatus(w, r, http.StatusUnprocessableEntity, fmt.Sprintf("ConfigMap %q is invalid: metadata.name: Invalid value: %q: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character", b.Metadata.Name, b.Metadata.Name))
		return b, false
	case size > 1<<20:
		writeStatus(w, r, http.StatusUnprocessableEntity, fmt.Sprintf("ConfigMap %q is invalid: []: Too long: must have at most 1048576 bytes", b.Metadata.Name))
		return b, false
	}
	if !slices.Contains(systemNamespaces, ns) {
		writeStatusDetails(w, http.StatusNotFound, fmt.Sprintf("namespaces %q not found", ns), &statusDetails{Name: ns, Kind: "namespaces"})
		return b, false
	}
	return b, true
}

// writeConfigMap serves POST (create), PUT (update) and DELETE.
func (c *Cluster) writeConfigMap(w http.ResponseWriter, r *http.Request) {
	ns, name := r.PathValue("namespace"), r.PathValue("name")
	verb := map[string]string{http.MethodPost: "create", http.MethodPut: "update", http.MethodDelete: "delete"}[r.Method]
	if !isAdmin(r) {
		forbidden(w, r, verb, "configmaps", name)
		return
	}
	if !c.available(w) {
		return
	}
	var b configMapBody
	if r.Method != http.MethodDelete {
		var ok bool
		if b, ok = readConfigMap(w, r); !ok {
			return
		}
		if name == "" {
			name = b.Metadata.Name
		} else if b.Metadata.Name != name {
			writeStatus(w, r, http.StatusBadRequest, "the name of the object ("+b.Metadata.Name+") does not match the name on the URL ("+name+")")
			return
		}
	}
	res := c.resourceNamed("", "configmaps")
	dry := r.URL.Query().Get("dryRun") == "All"
	c.cmWrite.Lock()
	defer c.cmWrite.Unlock()
	objs, _ := c.view(res)
	var cur *object
	for i := range objs {
		if objs[i].namespace == ns && objs[i].name == name {
			cur = &objs[i]
		}
	}
	key := ns + "/" + name
	switch {
	case r.Method == http.MethodPost && cur != nil:
		writeStatusDetails(w, http.StatusConflict, fmt.Sprintf("configmaps %q already exists", name), &statusDetails{Name: name, Kind: "configmaps"})
		return
	case r.Method != http.MethodPost && cur == nil:
		writeStatusDetails(w, http.StatusNotFound, fmt.Sprintf("configmaps %q not found", name), &statusDetails{Name: name, Kind: "configmaps"})
		return
	case r.Method == http.MethodPut && b.Metadata.ResourceVersion != "" && b.Metadata.ResourceVersion != str(cur.doc, "metadata", "resourceVersion"):
		writeStatusDetails(w, http.StatusConflict, fmt.Sprintf("Operation cannot be fulfilled on configmaps %q: the object has been modified; please apply your changes to the latest version and try again", name), &statusDetails{Name: name, Kind: "configmaps"})
		return
	}
	c.mu.Lock()
	switch r.Method {
	case http.MethodDelete:
		gone := c.configMaps[key]
		if !dry {
			delete(c.configMaps, key)
		}
		c.mu.Unlock()
		writeJSON(w, http.StatusOK, status{Kind: "Status", APIVersion: "v1", Status: "Success",
			Details: &statusDetails{Name: name, Kind: "configmaps", UID: gone.uid}, Code: http.StatusOK})
		return
	case http.MethodPost:
		cm := &configMap{namespace: ns, name: name, created: c.env.Now(), uid: uid(c.spec.Name, "cm", key, c.env.Now().String()),
			labels: maps.Clone(b.Metadata.Labels), data: maps.Clone(b.Data)}
		if !dry {
			c.configMaps[key] = cm
		}
	case http.MethodPut:
		cm := *c.configMaps[key]
		cm.labels, cm.data = maps.Clone(b.Metadata.Labels), maps.Clone(b.Data)
		if !dry {
			c.configMaps[key] = &cm
		}
	}
	c.mu.Unlock()
	code := map[string]int{http.MethodPost: http.StatusCreated, http.MethodPut: http.StatusOK}[r.Method]
	objs, _ = c.view(res)
	for _, o := range objs {
		if o.namespace == ns && o.name == name {
			writeJSON(w, code, typed(res, o))
			return
		}
	}
	// A dry run leaves nothing to read back: answer with what was sent.
	writeJSON(w, code, map[string]any{"kind": "ConfigMap", "apiVersion": "v1",
		"metadata": map[string]any{"name": name, "namespace": ns, "labels": b.Metadata.Labels}, "data": b.Data})
}
