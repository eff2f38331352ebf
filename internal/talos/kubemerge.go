package talos

import (
	"fmt"
	"maps"
	"reflect"

	"gopkg.in/yaml.v3"
)

// MergeKubeconfig merges src into dst as talosctl kubeconfig merges into
// ~/.kube/config: an entry identical to one already there is left alone; a
// cluster, user or context whose name is taken by a different entry is
// renamed name-1, name-2, ...; contexts follow their cluster's and user's
// renames; and src's current context becomes the current one. Everything
// else in dst is kept. dst may be empty (no file yet). renames describe
// each rename ("context \"admin@lab\" -> \"admin@lab-1\"").
func MergeKubeconfig(dst, src []byte) (out []byte, renames []string, err error) {
	in, err := loadKubeconfigMap(src)
	if err != nil {
		return nil, nil, fmt.Errorf("the kubeconfig to merge does not parse: %w", err)
	}
	base, err := loadKubeconfigMap(dst)
	if err != nil {
		return nil, nil, fmt.Errorf("the existing kubeconfig does not parse: %w", err)
	}
	clusters, r1 := mergeNamed(base, in, "clusters", "cluster", nil)
	users, r2 := mergeNamed(base, in, "users", "user", nil)
	contexts, r3 := mergeNamed(base, in, "contexts", "context", func(ctx map[string]any) {
		if c, ok := ctx["context"].(map[string]any); ok {
			c = maps.Clone(c)
			if n, ok := c["cluster"].(string); ok {
				c["cluster"] = clusters[n]
			}
			if n, ok := c["user"].(string); ok {
				c["user"] = users[n]
			}
			ctx["context"] = c
		}
	})
	if cur, ok := in["current-context"].(string); ok && cur != "" {
		base["current-context"] = contexts[cur]
	}
	out, err = yaml.Marshal(base)
	if err != nil {
		return nil, nil, err
	}
	return out, append(append(r1, r2...), r3...), nil
}

func loadKubeconfigMap(b []byte) (map[string]any, error) {
	m := map[string]any{}
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("not YAML")
	}
	if m == nil {
		m = map[string]any{}
	}
	if _, ok := m["apiVersion"]; !ok {
		m["apiVersion"], m["kind"] = "v1", "Config"
	}
	return m, nil
}

// mergeNamed merges src's list key into dst's and returns how each of
// src's names maps to its name in dst. fix adjusts an entry (its
// references) before it is compared.
func mergeNamed(dst, src map[string]any, key, kind string, fix func(map[string]any)) (map[string]string, []string) {
	existing := entries(dst[key])
	taken := map[string]map[string]any{}
	for _, e := range existing {
		if n, ok := e["name"].(string); ok {
			taken[n] = e
		}
	}
	mapping := map[string]string{}
	var renames []string
	for _, e := range entries(src[key]) {
		e = maps.Clone(e)
		if fix != nil {
			fix(e)
		}
		name, _ := e["name"].(string)
		mapping[name] = name
		old, clash := taken[name]
		if clash && reflect.DeepEqual(old, e) {
			continue
		}
		if clash {
			n := name
			for i := 1; taken[n] != nil; i++ {
				n = fmt.Sprintf("%s-%d", name, i)
			}
			mapping[name], e["name"] = n, n
			renames = append(renames, fmt.Sprintf("%s %q -> %q", kind, name, n))
		}
		taken[mapping[name]] = e
		existing = append(existing, e)
	}
	list := make([]any, len(existing))
	for i, e := range existing {
		list[i] = e
	}
	dst[key] = list
	return mapping, renames
}

func entries(v any) []map[string]any {
	list, _ := v.([]any)
	var out []map[string]any
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
