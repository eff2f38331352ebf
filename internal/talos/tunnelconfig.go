package talos

import (
	"fmt"
	"net/url"

	clientconfig "github.com/siderolabs/talos/pkg/machinery/client/config"
	"gopkg.in/yaml.v3"
)

// TunnelKubeconfig is the admin kubeconfig data pointed at a local forward:
// the current context's cluster server becomes https://local, and
// tls-server-name keeps the name the API server's certificate carries (the
// endpoint's host), so the client still verifies it. Everything else is
// kept as it was.
func TunnelKubeconfig(data []byte, local string) ([]byte, error) {
	m, err := loadKubeconfigMap(data)
	if err != nil {
		return nil, fmt.Errorf("the kubeconfig does not parse: %w", err)
	}
	current, _ := m["current-context"].(string)
	var clusterName string
	for _, c := range entries(m["contexts"]) {
		if c["name"] == current {
			if ctx, ok := c["context"].(map[string]any); ok {
				clusterName, _ = ctx["cluster"].(string)
			}
		}
	}
	for _, c := range entries(m["clusters"]) {
		if c["name"] != clusterName {
			continue
		}
		cl, ok := c["cluster"].(map[string]any)
		if !ok {
			break
		}
		server, _ := cl["server"].(string)
		u, err := url.Parse(server)
		if err != nil || u.Hostname() == "" {
			return nil, fmt.Errorf("the kubeconfig's cluster %q has no server URL", clusterName)
		}
		if _, named := cl["tls-server-name"]; !named {
			cl["tls-server-name"] = u.Hostname()
		}
		cl["server"] = "https://" + local
		return yaml.Marshal(m)
	}
	return nil, fmt.Errorf("the kubeconfig's current context %q names no cluster it holds", current)
}

// TunnelTalosconfig is the talosconfig data pointed at local forwards:
// the current context's endpoints become locals (one per control plane,
// in order), and its nodes default to the control planes' own addresses,
// which the endpoint's apid proxies to. The Talos API certificate must
// carry the local address: TunnelSAN is in every control plane's
// certSANs.
func TunnelTalosconfig(data []byte, locals, nodes []string) ([]byte, error) {
	cfg, err := clientconfig.FromBytes(data)
	if err != nil {
		return nil, fmt.Errorf("the talosconfig does not parse: %w", err)
	}
	ctx := cfg.Contexts[cfg.Context]
	if ctx == nil {
		return nil, fmt.Errorf("the talosconfig's current context %q is missing", cfg.Context)
	}
	ctx.Endpoints = append([]string(nil), locals...)
	ctx.Nodes = append([]string(nil), nodes...)
	return cfg.Bytes()
}
