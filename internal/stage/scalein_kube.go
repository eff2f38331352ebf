package stage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/tripod-dev/tripod/internal/retry"
	"github.com/tripod-dev/tripod/internal/run"
)

// What removing a worker needs from Kubernetes, as kubectl drain does it:
// cordon the node, evict its pods (DaemonSet and mirror pods stay: their
// controller would put them straight back), wait until they are gone, and
// delete the node object.

// Request templates of a node's removal.
const (
	reqNodeCordon = "PATCH /api/v1/nodes/{name}"
	reqPodEvict   = "POST /api/v1/namespaces/{namespace}/pods/{name}/eviction"
	reqNodeDelete = "DELETE /api/v1/nodes/{name}"
)

// kubeAPI is the admin kubeconfig's client and the API server's URL.
type kubeAPI struct {
	hc     *http.Client
	server string
}

// kubeNode is the part of a Node the removal reads.
type kubeNode struct {
	Spec struct {
		Unschedulable bool `json:"unschedulable"`
	} `json:"spec"`
}

// kubePod is the part of a Pod the drain reads.
type kubePod struct {
	Metadata struct {
		Name            string            `json:"name"`
		Namespace       string            `json:"namespace"`
		Annotations     map[string]string `json:"annotations"`
		OwnerReferences []struct {
			Kind       string `json:"kind"`
			Controller bool   `json:"controller"`
		} `json:"ownerReferences"`
	} `json:"metadata"`
}

// evictable reports whether a drain evicts p: not a DaemonSet's pod, not a
// static pod's mirror.
func (p kubePod) evictable() bool {
	if _, mirror := p.Metadata.Annotations["kubernetes.io/config.mirror"]; mirror {
		return false
	}
	for _, o := range p.Metadata.OwnerReferences {
		if o.Controller && o.Kind == "DaemonSet" {
			return false
		}
	}
	return true
}

// do sends one request and decodes a 2xx answer into out (when not nil).
// It returns the status code; an answer other than 2xx or 404 is an error
// carrying the API server's message.
func (k kubeAPI) do(ctx context.Context, method, path, ctype string, body any, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, retry.MarkFatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, k.server+path, rd)
	if err != nil {
		return 0, retry.MarkFatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := k.hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("failed to %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return resp.StatusCode, retry.MarkTransient(err, 0)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return resp.StatusCode, nil
	case resp.StatusCode == http.StatusTooManyRequests:
		// An eviction a disruption budget refuses for now.
		return resp.StatusCode, retry.MarkTransient(fmt.Errorf("%s %s: HTTP 429: %s", method, path, kubeMessage(data)), 0)
	case resp.StatusCode/100 != 2:
		return resp.StatusCode, fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, kubeMessage(data))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("failed to read the answer to %s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// kubeMessage is a metav1.Status's message, or the body.
func kubeMessage(data []byte) string {
	var s struct{ Message string }
	if json.Unmarshal(data, &s) == nil && s.Message != "" {
		return s.Message
	}
	return string(data)
}

// node reads a node; nil when it does not exist.
func (k kubeAPI) node(ctx context.Context, name string) (*kubeNode, error) {
	var n kubeNode
	code, err := k.do(ctx, http.MethodGet, "/api/v1/nodes/"+url.PathEscape(name), "", nil, &n)
	if err != nil || code == http.StatusNotFound {
		return nil, err
	}
	return &n, nil
}

// evictablePods lists the pods on node a drain evicts.
func (k kubeAPI) evictablePods(ctx context.Context, node string) ([]kubePod, error) {
	var list struct{ Items []kubePod }
	q := url.Values{"fieldSelector": {"spec.nodeName=" + node}}
	if _, err := k.do(ctx, http.MethodGet, "/api/v1/pods?"+q.Encode(), "", nil, &list); err != nil {
		return nil, err
	}
	var out []kubePod
	for _, p := range list.Items {
		if p.evictable() {
			out = append(out, p)
		}
	}
	return out, nil
}

// removeNode cordons, drains and deletes the node of a surplus worker, each
// write one mutation; what is already done (a node cordoned, or gone) is
// skipped. A dry run lists every write it observed a need for.
func (s *scaleIn) removeNode(ctx context.Context, st *run.Step, k kubeAPI, name string) error {
	n, err := k.node(ctx, name)
	if err != nil {
		return fmt.Errorf("failed to read node %s: %w", name, err)
	}
	if n == nil {
		st.Progress("node %s is not in the Kubernetes API", name)
		return nil
	}
	var planned bool
	note := func(err error) error {
		if errors.Is(err, run.ErrPlanned) {
			planned = true
			return nil
		}
		return err
	}
	path := "/api/v1/nodes/" + url.PathEscape(name)
	if !n.Spec.Unschedulable {
		m := run.Mutation{API: "kube", Verb: "cordon", Object: "node " + name, Detail: "spec.unschedulable=true", Request: reqNodeCordon}
		patch := map[string]any{"spec": map[string]any{"unschedulable": true}}
		if err := note(st.Mutate(ctx, m, func(ctx context.Context) error {
			_, err := k.do(ctx, http.MethodPatch, path, "application/merge-patch+json", patch, nil)
			return err
		})); err != nil {
			return err
		}
	}
	if err := note(s.drain(ctx, st, k, name)); err != nil {
		return err
	}
	m := run.Mutation{API: "kube", Verb: "delete", Object: "node " + name, Request: reqNodeDelete}
	if err := note(st.Mutate(ctx, m, func(ctx context.Context) error {
		_, err := k.do(ctx, http.MethodDelete, path, "", nil, nil)
		return err
	})); err != nil {
		return err
	}
	if planned {
		return run.ErrPlanned
	}
	return nil
}

// drain evicts the node's evictable pods, one mutation each, then waits
// until none is left (a disruption budget may hold an eviction back).
func (s *scaleIn) drain(ctx context.Context, st *run.Step, k kubeAPI, node string) error {
	e := s.env
	pods, err := k.evictablePods(ctx, node)
	if err != nil {
		return fmt.Errorf("failed to list the pods on node %s: %w", node, err)
	}
	var planned bool
	for _, p := range pods {
		ns, name := p.Metadata.Namespace, p.Metadata.Name
		m := run.Mutation{API: "kube", Verb: "evict", Object: fmt.Sprintf("pod %s/%s from node %s", ns, name, node), Request: reqPodEvict}
		body := map[string]any{"apiVersion": "policy/v1", "kind": "Eviction", "metadata": map[string]string{"name": name, "namespace": ns}}
		err := st.Mutate(ctx, m, func(ctx context.Context) error {
			return retry.Do(ctx, retry.Policy{API: "kube", Deadline: e.Timing.Deadline(10 * time.Minute), Initial: e.Timing.Interval(5 * time.Second), Counter: e.Retries,
				Classify: retry.Default}, func(ctx context.Context) error {
				_, err := k.do(ctx, http.MethodPost, fmt.Sprintf("/api/v1/namespaces/%s/pods/%s/eviction", url.PathEscape(ns), url.PathEscape(name)),
					"application/json", body, nil)
				return err
			})
		})
		switch {
		case errors.Is(err, run.ErrPlanned):
			planned = true
		case err != nil:
			return err
		}
	}
	if planned {
		return run.ErrPlanned
	}
	if len(pods) == 0 {
		return nil
	}
	return retry.Wait(ctx, retry.Condition{
		Name: "node " + node + " drained", Interval: e.Timing.Interval(2 * time.Second), Timeout: e.Timing.Deadline(10 * time.Minute),
		Classify: retry.Default, Progress: func(s string) { st.Progress("%s", s) },
		Check: func(ctx context.Context) (bool, string, error) {
			left, err := k.evictablePods(ctx, node)
			return len(left) == 0, fmt.Sprintf("%d pods left on %s", len(left), node), err
		},
	})
}
