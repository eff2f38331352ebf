package report

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/tripod-dev/tripod/internal/run"
)

// TestReportShowsFailuresAndBlockedSteps: a failed step's message (the
// API's) is in the failures list of both files, and a blocked step, which
// never started, still gets its row and bar.
func TestReportShowsFailuresAndBlockedSteps(t *testing.T) {
	a := step("servers", "h1", 0, 3)
	f := step("os", "h1", 3, 2, a.Key)
	f.Status, f.Err = run.StatusFailed, errors.New(`failed to install h1: scaleway: 400 "os not compatible with offer"`)
	b := run.StepResult{Key: run.On("network", "h1"), Status: run.StatusBlocked, Reason: "needs os/h1, which failed", Needs: []run.Key{f.Key}}
	b.Err = errors.New(b.Reason)
	in := Input{Cluster: "lab", Command: "up", RunID: "r1", Outcome: "not-ready", Report: &run.Report{Steps: []run.StepResult{a, f, b},
		Calls: map[string]run.APICalls{"scaleway": {Requests: 4, Retries: 1, Polls: 2}}}}
	var h, md bytes.Buffer
	if err := WriteHTML(&h, in); err != nil {
		t.Fatal(err)
	}
	if err := WriteMarkdown(&md, in); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(h.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var bars []string
	var failures string
	var visit func(n *html.Node, inFailures bool)
	visit = func(n *html.Node, inFailures bool) {
		for _, at := range n.Attr {
			if at.Key == "id" && at.Val == "failures" {
				inFailures = true
			}
			if n.Data == "rect" && at.Key == "class" && strings.HasPrefix(at.Val, "bar ") {
				bars = append(bars, at.Val)
			}
		}
		if inFailures && n.Type == html.TextNode {
			failures += n.Data
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c, inFailures)
		}
	}
	visit(doc, false)
	if strings.Join(bars, ",") != "bar changed critical,bar failed critical,bar blocked" {
		t.Errorf("bars %v", bars)
	}
	for _, want := range []string{`os not compatible with offer`, "needs os/h1, which failed"} {
		if !strings.Contains(failures, want) || !strings.Contains(md.String(), want) {
			t.Errorf("failures lack %q:\nhtml: %s\nmd: %s", want, failures, md.String())
		}
	}
	if !strings.Contains(md.String(), "| scaleway | 4 | 1 | 2 |") {
		t.Errorf("summary.md calls:\n%s", md.String())
	}
}
