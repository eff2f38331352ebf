package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// TestUpWritesItsReport: a full simulated lab up writes report.html and
// summary.md into its run folder; the page draws one bar per target the
// run started, marks a critical path that ends at the step that ended
// last, and counts the calls per API.
func TestUpWritesItsReport(t *testing.T) {
	startWorld(t)
	dir := t.TempDir()
	if code, _, errs := runCLI(t, "up", "-i", labInventory, "--state-dir", dir); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, errs)
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "runs", "*-up.jsonl"))
	if len(logs) != 1 {
		t.Fatalf("run logs: %v", logs)
	}
	started, lastEnd := map[string]bool{}, ""
	var runID string
	b, _ := os.ReadFile(logs[0])
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var e struct{ Kind, Stage, Target, RunID string }
		json.Unmarshal([]byte(l), &e)
		switch e.Kind {
		case "run-start":
			runID = e.RunID
		case "target-start":
			started[e.Stage+"/"+e.Target] = true
		case "done", "skip":
			lastEnd = e.Stage + "/" + e.Target
		}
	}
	folder := filepath.Join(dir, "runs", runID)
	f, err := os.Open(filepath.Join(folder, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := html.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	bars, critical := map[string]bool{}, []string{}
	calls := map[string][]string{}
	external := 0
	walk(doc, func(n *html.Node) {
		switch {
		case n.Data == "rect" && strings.Contains(" "+attr(n, "class")+" ", " bar "):
			k := attr(n, "data-step")
			if bars[k] {
				t.Errorf("two bars for %s", k)
			}
			bars[k] = true
			if strings.Contains(attr(n, "class"), "critical") {
				critical = append(critical, k)
			}
		case n.Data == "tr" && ancestorID(n, "calls"):
			var cells []string
			walk(n, func(c *html.Node) {
				if c.Type == html.TextNode && c.Parent.Data == "td" {
					cells = append(cells, c.Data)
				}
			})
			if len(cells) == 4 {
				calls[cells[0]] = cells[1:]
			}
		case n.Data == "script" || (n.Data == "link" && attr(n, "href") != "") || (n.Data == "img" && attr(n, "src") != ""):
			external++
		}
	})
	if len(bars) != len(started) || len(started) == 0 {
		t.Errorf("%d bars for %d targets started", len(bars), len(started))
	}
	for k := range started {
		if !bars[k] {
			t.Errorf("no bar for %s", k)
		}
	}
	if len(critical) < 3 || critical[len(critical)-1] != lastEnd {
		t.Errorf("critical path %v: want a chain ending at the step that ended last (%s)", critical, lastEnd)
	}
	for _, api := range []string{"scaleway", "proxmox", "talos"} {
		if n, err := strconv.Atoi(first(calls[api])); err != nil || n == 0 {
			t.Errorf("calls table: %s requests %v", api, calls[api])
		}
	}
	if external != 0 {
		t.Errorf("report.html refers to %d external assets or scripts", external)
	}
	md, err := os.ReadFile(filepath.Join(folder, "summary.md"))
	if err != nil || !strings.Contains(string(md), "## tripod up: cluster `lab` ready") || !strings.Contains(string(md), "| proxmox |") {
		t.Errorf("summary.md (%v):\n%s", err, md)
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func walk(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func ancestorID(n *html.Node, id string) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if attr(p, "id") == id {
			return true
		}
	}
	return false
}
