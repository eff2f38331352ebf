package stage

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/retry"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/talos"
)

// kubernetes waits until the API server is ready through the cluster
// endpoint and every node of the layout is Ready and carries its zone and
// region labels, with the admin kubeconfig's client certificate. A dry run
// checks once and reports.
func (s *health) kubernetes(ctx context.Context, st *run.Step) error {
	hc, server, err := s.kubeClient()
	if err != nil && st.DryRun() {
		st.Skip("would check the Kubernetes API once the kubeconfig exists")
		return nil
	} else if err != nil {
		return err
	}
	conds := []retry.Condition{s.readyz(hc, server), s.nodesReady(hc, server)}
	var done []string
	for _, c := range conds {
		c.Interval, c.Timeout, c.Classify = s.env.Timing.Interval(5*time.Second), s.env.Timing.Deadline(30*time.Minute), retry.Default
		c.Progress = func(status string) { st.Progress("%s", status) }
		if ok, err := checkOrWait(ctx, st, c); !ok || err != nil {
			return err
		}
		done = append(done, c.Name)
	}
	st.Skip("%s", strings.Join(done, "; "))
	return nil
}

// kubeClient is the admin kubeconfig's client for the health checks.
func (s *health) kubeClient() (*http.Client, string, error) { return s.env.kubeClient() }

// kubeClient is an HTTP client through the one dialer with the written
// kubeconfig's CA and client certificate, and the API server's URL.
func (e *Env) kubeClient() (*http.Client, string, error) {
	data, err := e.State.ReadSecretFile(talos.KubeconfigFile)
	if err != nil {
		return nil, "", fmt.Errorf("failed to read the kubeconfig: %w", err)
	}
	k, err := talos.ParseKubeconfig(data)
	if err != nil {
		return nil, "", err
	}
	tlsConf, err := k.TLSConfig()
	if err != nil {
		return nil, "", err
	}
	// The transport cuts each attempt and retries 429s, 5xx and hangs, counted
	// under "kube"; a check's error is then the API server's lasting state.
	// A cordon (a merge patch setting one field) and an eviction (a second
	// one finds the pod gone) are harmless to repeat.
	hc := &http.Client{Transport: &retry.Transport{
		Base: e.Dialer.HTTPClient(tlsConf, 0).Transport, API: "kube", Counter: e.Retries, Timing: e.Timing,
		PerAttempt: 15 * time.Second, Attempts: 4,
		Replayable: func(r *http.Request) bool {
			return r.Method == http.MethodPatch || (r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/eviction"))
		},
	}}
	return hc, strings.TrimSuffix(k.Server, "/"), nil
}

func (s *health) readyz(hc *http.Client, server string) retry.Condition {
	return retry.Condition{
		API: "kube", Name: "Kubernetes API ready at " + server,
		Check: func(ctx context.Context) (bool, string, error) {
			code, body, err := kubeGet(ctx, hc, server+"/readyz")
			if err != nil {
				return false, "", err
			}
			if code != http.StatusOK {
				return false, fmt.Sprintf("readyz: HTTP %d %s", code, firstFailedCheck(body)), nil
			}
			return true, "API server ready", nil
		},
	}
}

// firstFailedCheck picks the first "[-]name failed" line of a readyz body.
func firstFailedCheck(body []byte) string {
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "[-]") {
			return strings.TrimPrefix(line, "[-]")
		}
	}
	return ""
}

// nodeList is the part of a core/v1 NodeList the check reads.
type nodeList struct {
	Items []struct {
		Metadata struct {
			Name   string            `json:"name"`
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
		Status struct {
			Conditions []struct {
				Type   string `json:"type"`
				Status string `json:"status"`
			} `json:"conditions"`
		} `json:"status"`
	} `json:"items"`
}

func (s *health) nodesReady(hc *http.Client, server string) retry.Condition {
	vms, region := s.env.Layout().VMs, s.env.Cluster().Scaleway.Region
	return retry.Condition{
		API: "kube", Name: fmt.Sprintf("%d/%d nodes Ready with their zone labels", len(vms), len(vms)),
		Check: func(ctx context.Context) (bool, string, error) {
			code, body, err := kubeGet(ctx, hc, server+"/api/v1/nodes")
			if err != nil || code != http.StatusOK {
				return false, fmt.Sprintf("nodes: HTTP %d", code), err
			}
			var list nodeList
			if err := json.Unmarshal(body, &list); err != nil {
				return false, "", retry.MarkTransient(fmt.Errorf("unreadable NodeList: %w", err), 0)
			}
			ok, waiting := 0, []string{}
			for _, vm := range vms {
				if why := nodeProblem(list, vm, region); why != "" {
					waiting = append(waiting, vm.Name+" "+why)
					continue
				}
				ok++
			}
			status := fmt.Sprintf("%d/%d nodes Ready with their zone labels", ok, len(vms))
			if len(waiting) > 0 {
				status += " (" + strings.Join(waiting, ", ") + ")"
			}
			return ok == len(vms), status, nil
		},
	}
}

// nodeProblem says what is missing for vm's node, or "".
func nodeProblem(list nodeList, vm inventory.VMPlan, region string) string {
	for _, item := range list.Items {
		if item.Metadata.Name != vm.Name {
			continue
		}
		if z := item.Metadata.Labels[talos.ZoneLabel]; z != vm.AZ {
			return fmt.Sprintf("has zone %q, want %q", z, vm.AZ)
		}
		if r := item.Metadata.Labels[talos.RegionLabel]; r != region {
			return fmt.Sprintf("has region %q, want %q", r, region)
		}
		for _, c := range item.Status.Conditions {
			if c.Type == "Ready" && c.Status == "True" {
				return ""
			}
		}
		return "not Ready"
	}
	return "not registered"
}

// kubeGet GETs url. 401 and 403 are fatal (the kubeconfig is not accepted);
// other statuses are the caller's to read.
func kubeGet(ctx context.Context, hc *http.Client, url string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, retry.MarkFatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return 0, nil, retry.MarkTransient(err, 0)
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return resp.StatusCode, body, retry.MarkFatal(fmt.Errorf("GET %s: HTTP %d: the API server refuses the kubeconfig's credentials", url, resp.StatusCode))
	}
	return resp.StatusCode, body, nil
}
