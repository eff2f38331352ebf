package kube

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// kubectl get asks for a meta.k8s.io/v1 Table (server-side printing) and
// prints its columns; wide output adds the columns of priority 1. The
// columns here are kube-apiserver's printers' for the same resources.

type column struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Format      string `json:"format"`
	Description string `json:"description"`
	Priority    int    `json:"priority"`
}

func col(name, typ string, priority int) column {
	c := column{Name: name, Type: typ, Priority: priority, Description: name}
	if name == "Name" {
		c.Format, c.Description = "name", "Name must be unique within a namespace."
	}
	return c
}

var (
	defaultColumns   = []column{col("Name", "string", 0), col("Age", "string", 0)}
	namespaceColumns = []column{col("Name", "string", 0), col("Status", "string", 0), col("Age", "string", 0)}
	nodeColumns      = []column{col("Name", "string", 0), col("Status", "string", 0), col("Roles", "string", 0),
		col("Age", "string", 0), col("Version", "string", 0), col("Internal-IP", "string", 1), col("External-IP", "string", 1),
		col("OS-Image", "string", 1), col("Kernel-Version", "string", 1), col("Container-Runtime", "string", 1)}
	podColumns = []column{col("Name", "string", 0), col("Ready", "string", 0), col("Status", "string", 0),
		col("Restarts", "string", 0), col("Age", "string", 0), col("IP", "string", 1), col("Node", "string", 1),
		col("Nominated Node", "string", 1), col("Readiness Gates", "string", 1)}
	configMapColumns = []column{col("Name", "string", 0), col("Data", "integer", 0), col("Age", "string", 0)}
	secretColumns    = []column{col("Name", "string", 0), col("Type", "string", 0), col("Data", "integer", 0), col("Age", "string", 0)}
	leaseColumns     = []column{col("Name", "string", 0), col("Holder", "string", 0), col("Age", "string", 0)}
	serviceColumns   = []column{col("Name", "string", 0), col("Type", "string", 0), col("Cluster-IP", "string", 0),
		col("External-IP", "string", 0), col("Port(s)", "string", 0), col("Age", "string", 0), col("Selector", "string", 1)}
)

// tableOf renders objects as a Table whose rows carry the object's metadata
// (includeObject=Metadata, the default), from which kubectl takes the
// namespace column and -L label columns.
func (c *Cluster) tableOf(res *resource, objs []object, listMeta map[string]any, r *http.Request) map[string]any {
	cols := res.columns
	if res.table == nil {
		cols = defaultColumns
	}
	rows := []map[string]any{}
	for _, o := range objs {
		cells := []any{o.name, c.age(o.created)}
		if res.table != nil {
			cells = res.table(c, o, true)
		}
		row := map[string]any{"cells": cells}
		switch r.URL.Query().Get("includeObject") {
		case "None":
		case "Object":
			row["object"] = typed(res, o)
		default:
			row["object"] = map[string]any{"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o.doc["metadata"]}
		}
		rows = append(rows, row)
	}
	return map[string]any{"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": listMeta, "columnDefinitions": cols, "rows": rows}
}

func (c *Cluster) age(t time.Time) string { return humanDuration(c.env.Now().Sub(t)) }

// humanDuration is apimachinery's duration.HumanDuration, as AGE shows it.
func humanDuration(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	m, h := s/60, s/3600
	switch {
	case s < 0:
		return "0s"
	case s < 120:
		return fmt.Sprintf("%ds", s)
	case m < 10:
		if s%60 == 0 {
			return fmt.Sprintf("%dm", m)
		}
		return fmt.Sprintf("%dm%ds", m, s%60)
	case m < 180:
		return fmt.Sprintf("%dm", m)
	case h < 8:
		if m%60 == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m%60)
	case h < 48:
		return fmt.Sprintf("%dh", h)
	case h < 24*8:
		if h%24 == 0 {
			return fmt.Sprintf("%dd", h/24)
		}
		return fmt.Sprintf("%dd%dh", h/24, h%24)
	case h < 24*365*2:
		return fmt.Sprintf("%dd", h/24)
	case h < 24*365*8:
		return fmt.Sprintf("%dy%dd", h/24/365, (h/24)%365)
	}
	return fmt.Sprintf("%dy", h/24/365)
}

func str(m map[string]any, path ...string) string {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = mm[p]
	}
	s, _ := v.(string)
	return s
}

func namespaceRow(c *Cluster, o object, _ bool) []any {
	return []any{o.name, str(o.doc, "status", "phase"), c.age(o.created)}
}

func nodeRow(c *Cluster, o object, _ bool) []any {
	st := "Unknown"
	conds, _ := o.doc["status"].(map[string]any)["conditions"].([]any)
	for _, cd := range conds {
		if m, _ := cd.(map[string]any); m["type"] == "Ready" {
			st = map[any]string{"True": "Ready", "False": "NotReady"}[m["status"]]
			if st == "" {
				st = "NotReady"
			}
		}
	}
	if o.fields["spec.unschedulable"] == "true" {
		st += ",SchedulingDisabled"
	}
	var roles []string
	for k := range o.labels {
		if r, ok := strings.CutPrefix(k, "node-role.kubernetes.io/"); ok && r != "" {
			roles = append(roles, r)
		}
	}
	sort.Strings(roles)
	role := strings.Join(roles, ",")
	if role == "" {
		role = "<none>"
	}
	ip := ""
	addrs, _ := o.doc["status"].(map[string]any)["addresses"].([]any)
	for _, a := range addrs {
		if m, _ := a.(map[string]any); m["type"] == "InternalIP" {
			ip, _ = m["address"].(string)
		}
	}
	return []any{o.name, st, role, c.age(o.created), str(o.doc, "status", "nodeInfo", "kubeletVersion"), ip, "<none>",
		str(o.doc, "status", "nodeInfo", "osImage"), str(o.doc, "status", "nodeInfo", "kernelVersion"),
		str(o.doc, "status", "nodeInfo", "containerRuntimeVersion")}
}

func podRow(c *Cluster, o object, _ bool) []any {
	st, _ := o.doc["status"].(map[string]any)
	ready := "0/1"
	if cs, _ := st["containerStatuses"].([]map[string]any); len(cs) > 0 && cs[0]["ready"] == true {
		ready = "1/1"
	}
	ip, node := o.fields["status.podIP"], o.fields["spec.nodeName"]
	if ip == "" {
		ip = "<none>"
	}
	if node == "" {
		node = "<none>"
	}
	return []any{o.name, ready, o.fields["status.phase"], "0", c.age(o.created), ip, node, "<none>", "<none>"}
}

func serviceRow(c *Cluster, o object, _ bool) []any {
	spec, _ := o.doc["spec"].(map[string]any)
	var ports []string
	ps, _ := spec["ports"].([]map[string]any)
	for _, p := range ps {
		ports = append(ports, fmt.Sprintf("%v/%v", p["port"], p["protocol"]))
	}
	sel := "<none>"
	if m, ok := spec["selector"].(map[string]string); ok {
		var kv []string
		for k, v := range m {
			kv = append(kv, k+"="+v)
		}
		sort.Strings(kv)
		sel = strings.Join(kv, ",")
	}
	return []any{o.name, spec["type"], spec["clusterIP"], "<none>", strings.Join(ports, ","), c.age(o.created), sel}
}

func leaseRow(c *Cluster, o object, _ bool) []any {
	return []any{o.name, o.doc["spec"].(map[string]any)["holderIdentity"], c.age(o.created)}
}

func configMapRow(c *Cluster, o object, _ bool) []any {
	data, _ := o.doc["data"].(map[string]any)
	return []any{o.name, len(data), c.age(o.created)}
}

func secretRow(c *Cluster, o object, _ bool) []any {
	data, _ := o.doc["data"].(map[string]any)
	return []any{o.name, o.fields["type"], len(data), c.age(o.created)}
}
