package stage

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
)

// cephRuleDatacenter is the replicated rule that puts each replica in a
// different datacenter bucket (AZ); pools whose failure domain is host use
// Ceph's default replicated_rule.
const cephRuleDatacenter = "replicated_datacenter"

func cephRule(fd inventory.FailureDomain) string {
	if fd == inventory.FailureDomain("host") {
		return "replicated_rule"
	}
	return cephRuleDatacenter
}

// crushMap is the part of `ceph osd crush dump` tripod reads.
type crushMap struct {
	Buckets []crushBucket `json:"buckets"`
	Rules   []struct {
		Name  string           `json:"rule_name"`
		Steps []map[string]any `json:"steps"`
	} `json:"rules"`
}

type crushBucket struct {
	ID    int         `json:"id"`
	Name  string      `json:"name"`
	Type  string      `json:"type_name"`
	Items []crushItem `json:"items"`
}

type crushItem struct {
	ID int `json:"id"`
}

// parents maps each bucket's name to its parent's ("" for roots).
func (m crushMap) parents() map[string]string {
	byID := map[int]string{}
	for _, b := range m.Buckets {
		byID[b.ID] = b.Name
	}
	out := map[string]string{}
	for _, b := range m.Buckets {
		if _, ok := out[b.Name]; !ok {
			out[b.Name] = ""
		}
		for _, it := range b.Items {
			if it.ID < 0 {
				out[byID[it.ID]] = b.Name
			}
		}
	}
	return out
}

// ruleDomain is the failure domain a rule chooses leaves across, "" if
// there is no such rule.
func (m crushMap) ruleDomain(name string) string {
	for _, r := range m.Rules {
		if r.Name != name {
			continue
		}
		for _, s := range r.Steps {
			if op, _ := s["op"].(string); op == "chooseleaf_firstn" || op == "chooseleaf_indep" {
				d, _ := s["type"].(string)
				return d
			}
		}
		return "?"
	}
	return ""
}

// cephCRUSH gives the CRUSH map one datacenter bucket per AZ under the
// default root, moves each OSD host under its AZ's bucket, and creates the
// rule with datacenter as failure domain. The API cannot edit CRUSH, so
// these are host commands, each one a mutation.
func (e *Env) cephCRUSH(ctx context.Context, st *run.Step) error {
	host := e.cephHost()
	out, err := e.node(st, host).Observe(ctx, "ceph osd crush dump --format json")
	if err != nil {
		return err
	}
	var m crushMap
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		return fmt.Errorf("unreadable `ceph osd crush dump` from %s: %w", host, err)
	}
	return e.editCRUSH(ctx, st, m)
}

// editCRUSH sends the commands that give map m what it lacks, each one a
// mutation, after checking none of them is refused.
func (e *Env) editCRUSH(ctx context.Context, st *run.Step, m crushMap) error {
	cmds := e.crushCommands(m)
	if len(cmds) == 0 {
		st.Skip("CRUSH map has a datacenter bucket per AZ with its hosts, and rule %s", cephRuleDatacenter)
		return nil
	}
	for _, c := range cmds {
		if c.err != nil {
			return c.err // before changing anything
		}
	}
	host := e.cephHost()
	for _, c := range cmds {
		if err := e.pveCommand(ctx, st, c.m, host, c.cmd); !sentOrPlanned(err) {
			return err
		}
	}
	return nil // in a dry run, the step is planned by the commands it recorded
}

// freshCRUSH is the map Ceph starts with once the OSDs exist: the default
// root with a host bucket per OSD host, no datacenters, no rule of ours.
func (e *Env) freshCRUSH() crushMap {
	var m crushMap
	root := crushBucket{ID: -1, Name: "default", Type: "root"}
	for i, h := range e.Layout().Hosts {
		if h.HasRole(inventory.RoleCephOSD) {
			b := crushBucket{ID: -2 - i, Name: h.Name, Type: "host"}
			root.Items = append(root.Items, crushItem{ID: b.ID})
			m.Buckets = append(m.Buckets, b)
		}
	}
	m.Buckets = append(m.Buckets, root)
	return m
}

// Request templates of the CRUSH edits: the commands' leading words.
const (
	reqCrushAddBucket = "ceph osd crush add-bucket"
	reqCrushMove      = "ceph osd crush move"
	reqCrushRule      = "ceph osd crush rule create-replicated"
)

type crushCmd struct {
	m   run.Mutation
	cmd string
	err error
}

// crushCommands is what the map lacks, in the order Ceph accepts it.
func (e *Env) crushCommands(m crushMap) []crushCmd {
	parent := m.parents()
	var out []crushCmd
	add := func(verb, object, request, args string) {
		out = append(out, crushCmd{m: run.Mutation{Verb: verb, Object: object, Request: request}, cmd: request + " " + args})
	}
	for _, az := range e.Cluster().AZs {
		if _, ok := parent[az.Name]; !ok {
			add("create", "CRUSH datacenter "+az.Name, reqCrushAddBucket, az.Name+" datacenter")
		}
		if parent[az.Name] != "default" {
			add("move", "CRUSH datacenter "+az.Name+" under root default", reqCrushMove, az.Name+" root=default")
		}
	}
	for _, h := range e.Layout().Hosts {
		if !h.HasRole(inventory.RoleCephOSD) {
			continue
		}
		if _, ok := parent[h.Name]; !ok {
			out = append(out, crushCmd{err: fmt.Errorf("the CRUSH map has no bucket for %s: its OSDs did not register", h.Name)})
			continue
		}
		if parent[h.Name] != h.AZ {
			add("move", "CRUSH host "+h.Name+" under datacenter "+h.AZ, reqCrushMove, h.Name+" datacenter="+h.AZ)
		}
	}
	switch d := m.ruleDomain(cephRuleDatacenter); d {
	case "":
		add("create", "CRUSH rule "+cephRuleDatacenter, reqCrushRule, cephRuleDatacenter+" default datacenter")
	case "datacenter":
	default:
		out = append(out, crushCmd{err: fmt.Errorf("CRUSH rule %s exists with failure domain %q, not datacenter; tripod does not edit rules pools may use", cephRuleDatacenter, d)})
	}
	return out
}
