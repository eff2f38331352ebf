package kube

import (
	"context"
	"encoding/base64"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"strconv"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// writeStored serves POST (create), PUT (update), PATCH and DELETE of a
// stored resource (a patch is merged into what was read, then stored as an
// update). Each write is one etcd transaction conditioned on what the
// handler read (absent for a create, the same mod revision for an update
// or delete), so two writers never both win, as kube-apiserver's
// GuaranteedUpdate makes it.
func (c *Cluster) writeStored(res *resource) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ns, name := r.PathValue("namespace"), r.PathValue("name")
		verb := map[string]string{http.MethodPost: "create", http.MethodPut: "update", http.MethodDelete: "delete", http.MethodPatch: "patch"}[r.Method]
		if !isAdmin(r) {
			forbidden(w, r, verb, res.name, name)
			return
		}
		if !c.available(w) {
			return
		}
		var b writeBody
		var patch map[string]any
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		apply := r.Method == http.MethodPatch && mt == applyPatch
		if r.Method == http.MethodPatch {
			var ok bool
			if patch, ok = c.readPatch(w, r, res, name); !ok {
				return
			}
		} else if r.Method != http.MethodDelete {
			var ok bool
			if b, ok = readBody(w, r, res); !ok {
				return
			}
			if name == "" {
				name = b.Metadata.Name
			} else if b.Metadata.Name != name {
				writeStatus(w, r, http.StatusBadRequest, "the name of the object ("+b.Metadata.Name+") does not match the name on the URL ("+name+")")
				return
			}
		}
		cli, err := c.etcd()
		if err != nil {
			storageFailed(w, err)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), storageTimeout)
		defer cancel()
		key := registryKey(res, ns, name)
		got, err := cli.Get(ctx, key)
		if err != nil {
			storageFailed(w, err)
			return
		}
		var cur *object
		if len(got.Kvs) == 1 {
			o, err := decodeStored(res, got.Kvs[0].Value, got.Kvs[0].ModRevision)
			if err != nil {
				storageFailed(w, err)
				return
			}
			cur = &o
		}
		conflict := func() {
			writeStatusDetails(w, http.StatusConflict, fmt.Sprintf("Operation cannot be fulfilled on %s %q: the object has been modified; please apply your changes to the latest version and try again", res.name, name), &statusDetails{Name: name, Kind: res.name})
		}
		// An apply creates what is absent; its managedFields replace cur's.
		creating := r.Method == http.MethodPost || (apply && cur == nil)
		var managed any
		if cur != nil {
			managed = cur.doc["metadata"].(map[string]any)["managedFields"]
		}
		if apply {
			var ok bool
			var mf []any
			if b, mf, ok = c.applied(w, r, res, ns, name, cur, patch); !ok {
				return
			}
			managed = mf
		} else if r.Method == http.MethodPatch && cur != nil {
			var ok bool
			if b, ok = patched(w, r, res, *cur, patch); !ok {
				return
			}
			if b.Metadata.Name != name {
				writeStatus(w, r, http.StatusBadRequest, "the name of the object ("+b.Metadata.Name+") does not match the name on the URL ("+name+")")
				return
			}
		}
		switch {
		case creating && cur != nil:
			writeStatusDetails(w, http.StatusConflict, fmt.Sprintf("%s %q already exists", res.name, name), &statusDetails{Name: name, Kind: res.name})
			return
		case !creating && cur == nil:
			writeStatusDetails(w, http.StatusNotFound, fmt.Sprintf("%s %q not found", res.name, name), &statusDetails{Name: name, Kind: res.name})
			return
		case !creating && b.Metadata.ResourceVersion != "" && b.Metadata.ResourceVersion != str(cur.doc, "metadata", "resourceVersion"):
			conflict()
			return
		case !creating && r.Method != http.MethodDelete && res.name == "secrets" && cur.fields["type"] != b.Type:
			writeStatusDetails(w, http.StatusUnprocessableEntity, fmt.Sprintf("Secret %q is invalid: type: Invalid value: %q: field is immutable", name, b.Type), &statusDetails{Name: name, Kind: res.name})
			return
		}
		dry := r.URL.Query().Get("dryRun") == "All"
		// The condition: a create finds no key, the others the revision read.
		cond := clientv3.Compare(clientv3.CreateRevision(key), "=", 0)
		if cur != nil {
			cond = clientv3.Compare(clientv3.ModRevision(key), "=", got.Kvs[0].ModRevision)
		}
		if r.Method == http.MethodDelete {
			md, _ := cur.doc["metadata"].(map[string]any)
			uidOf, _ := md["uid"].(string)
			if !dry {
				resp, err := cli.Txn(ctx).If(cond).Then(clientv3.OpDelete(key)).Commit()
				if err != nil {
					storageFailed(w, err)
					return
				}
				if !resp.Succeeded {
					conflict()
					return
				}
			}
			writeJSON(w, http.StatusOK, status{Kind: "Status", APIVersion: "v1", Status: "Success",
				Details: &statusDetails{Name: name, Kind: res.name, UID: uidOf}, Code: http.StatusOK})
			return
		}
		doc := c.storedDoc(res, ns, name, b, cur)
		if managed != nil {
			doc["metadata"].(map[string]any)["managedFields"] = managed
		}
		code := http.StatusCreated
		if !creating {
			code = http.StatusOK
		}
		if dry {
			// Nothing is written: answer with what would be stored.
			writeJSON(w, code, typed(res, object{doc: doc}))
			return
		}
		val, err := encodeStored(res, doc)
		if err != nil {
			storageFailed(w, err)
			return
		}
		resp, err := cli.Txn(ctx).If(cond).Then(clientv3.OpPut(key, string(val))).Commit()
		if err != nil {
			storageFailed(w, err)
			return
		}
		if !resp.Succeeded {
			conflict()
			return
		}
		doc["metadata"].(map[string]any)["resourceVersion"] = strconv.FormatInt(resp.Header.Revision, 10)
		writeJSON(w, code, typed(res, object{doc: doc}))
	}
}

// storedDoc is the object a write stores: what the client sent, with the
// name, namespace, uid and creation time the server keeps (from cur on an
// update). A secret's data is base64 in JSON, as []byte marshals.
func (c *Cluster) storedDoc(res *resource, ns, name string, b writeBody, cur *object) map[string]any {
	now := c.env.Now()
	o := object{namespace: ns, name: name, labels: maps.Clone(b.Metadata.Labels), created: now}
	md := meta(o, c.spec.Name, res.name, ns, name, now.String())
	if cur != nil {
		old, _ := cur.doc["metadata"].(map[string]any)
		md["uid"], md["creationTimestamp"] = old["uid"], old["creationTimestamp"]
	}
	if len(b.Metadata.Annotations) > 0 {
		md["annotations"] = maps.Clone(b.Metadata.Annotations)
	}
	doc := map[string]any{"metadata": md}
	if res.name == "secrets" {
		data := map[string]string{}
		for k, v := range b.Data {
			data[k] = base64.StdEncoding.EncodeToString([]byte(v))
		}
		if len(data) > 0 {
			doc["data"] = data
		}
		doc["type"] = b.Type
		return doc
	}
	if len(b.Data) > 0 {
		doc["data"] = maps.Clone(b.Data)
	}
	return doc
}
