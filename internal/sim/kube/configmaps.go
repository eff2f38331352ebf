package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Config maps and secrets: the kinds an operator writes here (kubectl
// create, get, replace, delete). They live in the cluster's etcd (see
// storage.go), so a snapshot restore brings back exactly what the snapshot
// held. A fresh cluster has kube-root-ca.crt in every namespace and
// CoreDNS's Corefile in kube-system.

// writeBody is a v1 ConfigMap or Secret as a client sends it. For a secret
// Data holds the decoded bytes.
type writeBody struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Metadata   struct {
		Name            string            `json:"name"`
		GenerateName    string            `json:"generateName"`
		Namespace       string            `json:"namespace"`
		ResourceVersion string            `json:"resourceVersion"`
		Labels          map[string]string `json:"labels"`
		Annotations     map[string]string `json:"annotations"`
	} `json:"metadata"`
	Data       map[string]string `json:"data"`
	StringData map[string]string `json:"stringData"`
	Type       string            `json:"type"`
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

// seeds are the config maps a fresh cluster holds: kube-root-ca.crt,
// which kube-controller-manager's publisher keeps in every namespace, and
// the Corefile Talos applies with CoreDNS. Whichever is missing is created
// (so after a reset too), as those controllers do.
func (c *Cluster) seeds() map[string]map[string]any {
	out := map[string]map[string]any{}
	mk := func(ns, name, key, val string, uidParts ...string) {
		o := object{namespace: ns, name: name, created: c.Bootstrapped()}
		out[ns+"/"+name] = map[string]any{"metadata": meta(o, uidParts...), "data": map[string]string{key: val}}
	}
	for _, ns := range systemNamespaces {
		mk(ns, "kube-root-ca.crt", "ca.crt", string(c.spec.CACert), c.spec.Name, "cm", ns, "kube-root-ca.crt")
	}
	mk("kube-system", "coredns", "Corefile", corefile, c.spec.Name, "cm", "coredns")
	return out
}

// decodeJSON reads a JSON body; a secret's data is base64, as []byte
// marshals.
func decodeJSON(raw []byte, res *resource, b *writeBody) error {
	if res.name != "secrets" {
		return json.Unmarshal(raw, b)
	}
	var s struct {
		writeBody
		Data map[string][]byte `json:"data"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return err
	}
	*b = s.writeBody
	b.Data = nil
	for k, v := range s.Data {
		if b.Data == nil {
			b.Data = map[string]string{}
		}
		b.Data[k] = string(v)
	}
	return nil
}

var (
	dnsSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	configKey    = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)
)

// readBody decodes and validates a write's body; the error is the
// API server's 400 or 422 answer.
func readBody(w http.ResponseWriter, r *http.Request, res *resource) (writeBody, bool) {
	var b writeBody
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 3<<20))
	var err error
	switch mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt {
	case "application/json":
		if !fieldsValid(w, r, res, raw) {
			return b, false
		}
		err = decodeJSON(raw, res, &b)
	case "application/vnd.kubernetes.protobuf":
		err = decodeProto(raw, res, &b)
	default:
		writeStatus(w, r, http.StatusUnsupportedMediaType, fmt.Sprintf("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got %q)", mt))
		return b, false
	}
	return checkBody(w, r, res, b, err)
}

// checkBody validates a decoded write body (decoding failed if err is
// set), as readBody's caller or a patch's merge result hands it over.
func checkBody(w http.ResponseWriter, r *http.Request, res *resource, b writeBody, err error) (writeBody, bool) {
	if err != nil {
		writeStatus(w, r, http.StatusBadRequest, "the object provided is unrecognized: "+err.Error())
		return b, false
	}
	if (b.Kind != "" && b.Kind != res.kind) || (b.APIVersion != "" && b.APIVersion != "v1") {
		writeStatus(w, r, http.StatusBadRequest, fmt.Sprintf("the API version in the data (%s) does not match the expected API version (v1)", b.APIVersion))
		return b, false
	}
	if res.name == "secrets" {
		// The API server folds stringData into data and keeps no stringData.
		for k, v := range b.StringData {
			if b.Data == nil {
				b.Data = map[string]string{}
			}
			b.Data[k] = v
		}
		b.StringData = nil
		if b.Type == "" {
			b.Type = "Opaque"
		}
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
			writeStatus(w, r, http.StatusUnprocessableEntity, fmt.Sprintf("%s %q is invalid: data[%s]: Invalid value: %q: a valid config key must consist of alphanumeric characters, '-', '_' or '.'", res.kind, b.Metadata.Name, k, k))
			return b, false
		}
	}
	switch {
	case b.Metadata.Name == "":
		writeStatus(w, r, http.StatusUnprocessableEntity, res.kind+" \"\" is invalid: metadata.name: Required value: name or generateName is required")
		return b, false
	case !dnsSubdomain.MatchString(b.Metadata.Name) || len(b.Metadata.Name) > 253:
		writeStatus(w, r, http.StatusUnprocessableEntity, fmt.Sprintf("%s %q is invalid: metadata.name: Invalid value: %q: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character", res.kind, b.Metadata.Name, b.Metadata.Name))
		return b, false
	case size > 1<<20:
		writeStatus(w, r, http.StatusUnprocessableEntity, fmt.Sprintf("%s %q is invalid: []: Too long: must have at most 1048576 bytes", res.kind, b.Metadata.Name))
		return b, false
	}
	if !slices.Contains(systemNamespaces, ns) {
		writeStatusDetails(w, http.StatusNotFound, fmt.Sprintf("namespaces %q not found", ns), &statusDetails{Name: ns, Kind: "namespaces"})
		return b, false
	}
	return b, true
}

// storedView lists a stored resource. For config maps it first creates the
// seeds that are missing, each only if still absent.
func (c *Cluster) storedView(ctx context.Context, res *resource) ([]object, int64, error) {
	objs, rv, err := c.storedList(ctx, res)
	if err != nil || res.name != "configmaps" {
		return objs, rv, err
	}
	have := map[string]bool{}
	for _, o := range objs {
		have[o.key()] = true
	}
	cli, err := c.etcd()
	if err != nil {
		return nil, 0, err
	}
	created := false
	for k, doc := range c.seeds() {
		if have[k] {
			continue
		}
		md := doc["metadata"].(map[string]any)
		key := registryKey(res, md["namespace"].(string), md["name"].(string))
		val, err := encodeStored(res, doc)
		if err != nil {
			return nil, 0, err
		}
		tctx, cancel := context.WithTimeout(ctx, storageTimeout)
		_, err = cli.Txn(tctx).If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).Then(clientv3.OpPut(key, string(val))).Commit()
		cancel()
		if err != nil {
			return nil, 0, errStorage{err}
		}
		created = true
	}
	if !created {
		return objs, rv, nil
	}
	return c.storedList(ctx, res)
}
