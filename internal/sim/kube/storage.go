package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Storage is the etcd the API server keeps its objects in. The cluster's
// owner supplies it: kube knows nothing of how the members run, only how
// kube-apiserver lays objects out in etcd.
type Storage interface {
	// Etcd returns a client of a member that serves, or an error (the API
	// server's answer) when no member runs.
	Etcd() (*clientv3.Client, error)
}

// storageTimeout bounds one etcd call, as kube-apiserver's etcd client does
// before it answers "etcdserver: request timed out".
const storageTimeout = 5 * time.Second

// registryPrefix is where kube-apiserver keeps a resource's objects:
// /registry/<resource>/<namespace>/<name>. Values are JSON, as with
// --storage-media-type=application/json (the real default is protobuf).
func registryPrefix(res *resource) string { return "/registry/" + res.name + "/" }

func registryKey(res *resource, ns, name string) string { return registryPrefix(res) + ns + "/" + name }

// errStorage is an etcd call that failed: the API server answers it as
// kube-apiserver does an error that is not an API status, 500 with the
// error's text and no reason ("Error from server: etcdserver: request
// timed out" in kubectl).
type errStorage struct{ err error }

func (e errStorage) Error() string { return e.err.Error() }

func (e errStorage) Unwrap() error { return e.err }

// etcd returns the storage's client, or errStorage.
func (c *Cluster) etcd() (*clientv3.Client, error) {
	if c.spec.Storage == nil {
		return nil, errStorage{errors.New("etcdserver: no storage configured")}
	}
	cli, err := c.spec.Storage.Etcd()
	if err != nil {
		return nil, errStorage{err}
	}
	return cli, nil
}

// storageFailed answers a failed etcd call. A deadline is the etcd
// server's own "request timed out", which is what a client of a member
// without quorum gets.
func storageFailed(w http.ResponseWriter, err error) {
	msg := err.Error()
	if errors.Is(err, context.DeadlineExceeded) {
		msg = "etcdserver: request timed out"
	}
	writeJSON(w, http.StatusInternalServerError, status{Kind: "Status", APIVersion: "v1", Status: "Failure", Message: msg, Code: http.StatusInternalServerError})
}

// storedList reads a stored resource: every object with its etcd mod
// revision as resourceVersion, and the read's header revision as the
// list's. Reads are linearizable, as kube-apiserver's quorum reads are.
func (c *Cluster) storedList(ctx context.Context, res *resource) ([]object, int64, error) {
	cli, err := c.etcd()
	if err != nil {
		return nil, 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, storageTimeout)
	defer cancel()
	resp, err := cli.Get(ctx, registryPrefix(res), clientv3.WithPrefix())
	if err != nil {
		return nil, 0, errStorage{err}
	}
	out := make([]object, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		o, err := decodeStored(res, kv.Value, kv.ModRevision)
		if err != nil {
			return nil, 0, fmt.Errorf("failed to decode %s: %w", kv.Key, err)
		}
		out = append(out, o)
	}
	return out, resp.Header.Revision, nil
}

// decodeStored turns a stored value into an object at revision rv. Items
// carry no kind or apiVersion, as in a list.
func decodeStored(res *resource, val []byte, rv int64) (object, error) {
	var doc map[string]any
	if err := json.Unmarshal(val, &doc); err != nil {
		return object{}, err
	}
	delete(doc, "kind")
	delete(doc, "apiVersion")
	md, _ := doc["metadata"].(map[string]any)
	if md == nil {
		return object{}, errors.New("no metadata")
	}
	md["resourceVersion"] = strconv.FormatInt(rv, 10)
	o := object{doc: doc, labels: map[string]string{}}
	o.namespace, _ = md["namespace"].(string)
	o.name, _ = md["name"].(string)
	if ts, ok := md["creationTimestamp"].(string); ok {
		o.created, _ = time.Parse(time.RFC3339, ts)
	}
	if l, ok := md["labels"].(map[string]any); ok {
		for k, v := range l {
			o.labels[k], _ = v.(string)
		}
	}
	if res.name == "secrets" {
		typ, _ := doc["type"].(string)
		o.fields = map[string]string{"type": typ}
	}
	return o, nil
}

// encodeStored is what goes into etcd: the typed object without its
// resourceVersion, which etcd's revision supplies.
func encodeStored(res *resource, doc map[string]any) ([]byte, error) {
	out := typed(res, object{doc: doc})
	md := map[string]any{}
	for k, v := range doc["metadata"].(map[string]any) {
		if k != "resourceVersion" {
			md[k] = v
		}
	}
	out["metadata"] = md
	return json.Marshal(out)
}

// derivedKey is where kube-apiserver keeps a derived object: nodes under
// their historical name "minions", services under "specs".
func derivedKey(res *resource, o object) string {
	name := res.name
	switch name {
	case "nodes":
		name = "minions"
	case "services":
		name = "services/specs"
	}
	if o.namespace == "" {
		return "/registry/" + name + "/" + o.name
	}
	return "/registry/" + name + "/" + o.namespace + "/" + o.name
}

// derivedWriter writes a derived object's changes to etcd for the store.
type derivedWriter struct {
	c   *Cluster
	res *resource
	ctx context.Context
}

func (d derivedWriter) put(o object) (int64, error) {
	val, err := encodeStored(d.res, o.doc)
	if err != nil {
		return 0, err
	}
	return d.do(func(ctx context.Context, cli *clientv3.Client) (*etcdserverpb.ResponseHeader, error) {
		resp, err := cli.Put(ctx, derivedKey(d.res, o), string(val))
		if err != nil {
			return nil, err
		}
		return resp.Header, nil
	})
}

func (d derivedWriter) del(o object) (int64, error) {
	return d.do(func(ctx context.Context, cli *clientv3.Client) (*etcdserverpb.ResponseHeader, error) {
		resp, err := cli.Delete(ctx, derivedKey(d.res, o))
		if err != nil {
			return nil, err
		}
		return resp.Header, nil
	})
}

func (d derivedWriter) do(op func(context.Context, *clientv3.Client) (*etcdserverpb.ResponseHeader, error)) (int64, error) {
	cli, err := d.c.etcd()
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(d.ctx, storageTimeout)
	defer cancel()
	h, err := op(ctx, cli)
	if err != nil {
		return 0, errStorage{err}
	}
	return h.Revision, nil
}

func (d derivedWriter) revision() (int64, uint64, error) {
	var cluster uint64
	rev, err := d.do(func(ctx context.Context, cli *clientv3.Client) (*etcdserverpb.ResponseHeader, error) {
		resp, err := cli.Get(ctx, "health") // what kube-apiserver's etcd check reads
		if err != nil {
			return nil, err
		}
		cluster = resp.Header.ClusterId
		return resp.Header, nil
	})
	return rev, cluster, err
}
