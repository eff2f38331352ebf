package kube

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Label and field selectors as k8s.io/apimachinery's labels and fields
// packages parse them: a comma-separated list of requirements, all of which
// must hold.

type requirement struct {
	key    string
	op     string // exists, !, =, !=, in, notin
	values []string
}

type selector []requirement

func (s selector) matches(labels map[string]string) bool {
	for _, r := range s {
		v, has := labels[r.key]
		var ok bool
		switch r.op {
		case "exists":
			ok = has
		case "!":
			ok = !has
		case "=", "in":
			ok = has && slices.Contains(r.values, v)
		case "!=", "notin":
			ok = !has || !slices.Contains(r.values, v)
		}
		if !ok {
			return false
		}
	}
	return true
}

var (
	labelKey   = regexp.MustCompile(`^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)
	labelValue = regexp.MustCompile(`^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$`)
	setExpr    = regexp.MustCompile(`^(\S+)\s+(in|notin)\s+\(([^)]*)\)$`)
)

// parseLabelSelector parses a labelSelector query value. The error is the
// sentence the API server answers 400 with.
func parseLabelSelector(s string) (selector, error) {
	var out selector
	for _, part := range splitTop(s) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		r, err := parseRequirement(part)
		if err != nil {
			return nil, fmt.Errorf("unable to parse requirement: %w", err)
		}
		out = append(out, r)
	}
	return out, nil
}

func parseRequirement(p string) (requirement, error) {
	var r requirement
	switch {
	case setExpr.MatchString(p):
		m := setExpr.FindStringSubmatch(p)
		r = requirement{key: m[1], op: m[2]}
		for _, v := range strings.Split(m[3], ",") {
			r.values = append(r.values, strings.TrimSpace(v))
		}
	case strings.Contains(p, "!="):
		k, v, _ := strings.Cut(p, "!=")
		r = requirement{key: strings.TrimSpace(k), op: "!=", values: []string{strings.TrimSpace(v)}}
	case strings.Contains(p, "="):
		k, v, _ := strings.Cut(p, "=")
		v = strings.TrimPrefix(v, "=")
		r = requirement{key: strings.TrimSpace(k), op: "=", values: []string{strings.TrimSpace(v)}}
	case strings.HasPrefix(p, "!"):
		r = requirement{key: strings.TrimSpace(p[1:]), op: "!"}
	default:
		r = requirement{key: p, op: "exists"}
	}
	if !labelKey.MatchString(r.key) || len(r.key) > 317 {
		return r, fmt.Errorf("<nil>: Invalid value: %q: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", r.key)
	}
	for _, v := range r.values {
		if !labelValue.MatchString(v) || len(v) > 63 {
			return r, fmt.Errorf("values[0][%s]: Invalid value: %q: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", r.key, v)
		}
	}
	return r, nil
}

// splitTop splits on commas outside parentheses.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, ch := range s {
		switch ch {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// fieldRequirement is one term of a fieldSelector: =, == or !=.
type fieldRequirement struct {
	field, value string
	not          bool
}

// parseFieldSelector parses a fieldSelector, accepting only the fields the
// resource supports (metadata.name, metadata.namespace for namespaced
// resources, and the resource's own), as the API server does.
func parseFieldSelector(s string, supported []string) ([]fieldRequirement, error) {
	var out []fieldRequirement
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		var fr fieldRequirement
		switch {
		case strings.Contains(part, "!="):
			fr.field, fr.value, _ = strings.Cut(part, "!=")
			fr.not = true
		case strings.Contains(part, "=="):
			fr.field, fr.value, _ = strings.Cut(part, "==")
		case strings.Contains(part, "="):
			fr.field, fr.value, _ = strings.Cut(part, "=")
		default:
			return nil, fmt.Errorf("invalid selector: '%s'; can't understand '%s'", s, part)
		}
		if !slices.Contains(supported, fr.field) {
			return nil, fmt.Errorf("field label not supported: %s", fr.field)
		}
		out = append(out, fr)
	}
	return out, nil
}

func fieldsMatch(reqs []fieldRequirement, o object) bool {
	for _, fr := range reqs {
		var v string
		switch fr.field {
		case "metadata.name":
			v = o.name
		case "metadata.namespace":
			v = o.namespace
		default:
			v = o.fields[fr.field]
		}
		if (v == fr.value) == fr.not {
			return false
		}
	}
	return true
}
