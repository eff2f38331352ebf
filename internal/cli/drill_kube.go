package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// probeNamespace holds the drill's probe config map. The issue asks for a
// namespace of its own (tripod-drill); the simulated API server serves
// only the namespaces kube-apiserver creates, so until it models
// namespace creation the probe uses default, and deletes its config map
// when the drill ends.
const (
	probeNamespace = "default"
	probeConfigMap = "tripod-drill-az-loss"
)

// kubeDo sends one request (no retry: a probe measures) and returns the
// status and body.
func (a *clusterAccess) kubeDo(ctx context.Context, method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.server+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.kube.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	return resp.StatusCode, b, err
}

type configMap struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   map[string]string `json:"metadata"`
	Data       map[string]string `json:"data"`
}

// kubeWriteRead writes seq into the probe config map (creating it the
// first time) and reads it back: the API is available when both succeed
// and the read sees the write.
func (a *clusterAccess) kubeWriteRead(ctx context.Context, seq int) error {
	ctx, cancel := a.attempt(ctx, 5*time.Second)
	defer cancel()
	cm := configMap{APIVersion: "v1", Kind: "ConfigMap", Metadata: map[string]string{"name": probeConfigMap, "namespace": probeNamespace},
		Data: map[string]string{"seq": fmt.Sprint(seq)}}
	base := "/api/v1/namespaces/" + probeNamespace + "/configmaps"
	code, body, err := a.kubeDo(ctx, http.MethodPut, base+"/"+probeConfigMap, cm)
	if err == nil && code == http.StatusNotFound {
		code, body, err = a.kubeDo(ctx, http.MethodPost, base, cm)
	}
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if code != http.StatusOK && code != http.StatusCreated {
		return fmt.Errorf("write: HTTP %d %s", code, firstLine(body))
	}
	code, body, err = a.kubeDo(ctx, http.MethodGet, base+"/"+probeConfigMap, nil)
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if code != http.StatusOK {
		return fmt.Errorf("read: HTTP %d %s", code, firstLine(body))
	}
	var got configMap
	if err := json.Unmarshal(body, &got); err != nil || got.Data["seq"] != fmt.Sprint(seq) {
		return fmt.Errorf("read back seq %q, wrote %d", got.Data["seq"], seq)
	}
	return nil
}

// removeProbe deletes the probe config map, best effort.
func (a *clusterAccess) removeProbe(ctx context.Context) {
	ctx, cancel := a.attempt(ctx, 5*time.Second)
	defer cancel()
	a.kubeDo(ctx, http.MethodDelete, "/api/v1/namespaces/"+probeNamespace+"/configmaps/"+probeConfigMap, nil)
}

// readiness is the part of a NodeList or PodList the drill reads.
type readiness struct {
	Items []struct {
		Metadata struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
		Status struct {
			Phase      string `json:"phase"`
			Conditions []struct {
				Type   string `json:"type"`
				Status string `json:"status"`
			} `json:"conditions"`
		} `json:"status"`
	} `json:"items"`
}

// notReady lists the nodes (path /api/v1/nodes) or pods (/api/v1/pods)
// whose Ready condition is not True; succeeded pods are done, not broken.
func (a *clusterAccess) notReady(ctx context.Context, path string) ([]string, int, error) {
	ctx, cancel := a.attempt(ctx, 5*time.Second)
	defer cancel()
	code, body, err := a.kubeDo(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, 0, err
	}
	if code != http.StatusOK {
		return nil, 0, fmt.Errorf("GET %s: HTTP %d", path, code)
	}
	var list readiness
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, 0, fmt.Errorf("GET %s: %w", path, err)
	}
	out := []string{}
	for _, it := range list.Items {
		if it.Status.Phase == "Succeeded" {
			continue
		}
		ready := false
		for _, c := range it.Status.Conditions {
			if c.Type == "Ready" && c.Status == "True" {
				ready = true
			}
		}
		if !ready {
			name := it.Metadata.Name
			if it.Metadata.Namespace != "" {
				name = it.Metadata.Namespace + "/" + name
			}
			out = append(out, name)
		}
	}
	return out, len(list.Items), nil
}

func firstLine(b []byte) string {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	if len(b) > 200 {
		b = b[:200]
	}
	return string(b)
}
