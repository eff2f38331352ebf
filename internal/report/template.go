package report

import "html/template"

var pageTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tripod {{.Command}} {{.Cluster}}: {{.Outcome}}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; }
.outcome-ready { color: #1a7f37; } .outcome-stopped { color: #9a6700; } .outcome-not-ready, .outcome-error { color: #cf222e; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 3px 10px; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
svg text { font: 11px ui-monospace, monospace; fill: #222; }
svg .tick text { fill: #666; } svg .tick line { stroke: #e4e4e4; }
svg .band-0 { fill: #fafafa; } svg .band-1 { fill: #f0f3f6; }
svg .stage-name { font-weight: bold; fill: #555; }
rect.bar { fill: #8fb8de; } rect.bar.changed { fill: #4a89c8; } rect.bar.unchanged { fill: #a8c6a0; }
rect.bar.failed { fill: #cf222e; } rect.bar.blocked { fill: #e8a0a8; } rect.bar.canceled { fill: #999; }
rect.bar.critical { fill: #f08c00; stroke: #8a4b00; stroke-width: 1.5; }
.legend span { display: inline-block; margin-right: 14px; } .legend i { display: inline-block; width: 14px; height: 10px; margin-right: 4px; vertical-align: middle; }
.failure { color: #cf222e; } code { font: 12px ui-monospace, monospace; }
</style>
</head>
<body>
<h1>tripod {{.Command}} · cluster {{.Cluster}} · <span class="outcome-{{.Outcome}}">{{.Outcome}}</span></h1>
<div>run {{.RunID}}{{if .Start}}, started {{.Start}}{{end}}, took {{.TookText}}</div>

<h2>Cluster</h2>
<table id="cluster">{{range .Summary}}<tr><th>{{.Label}}</th><td>{{.Value}}</td></tr>{{end}}</table>

<h2>Timeline</h2>
<div class="legend"><span><i style="background:#4a89c8"></i>changed</span><span><i style="background:#a8c6a0"></i>nothing to do</span><span><i style="background:#f08c00"></i>critical path</span><span><i style="background:#cf222e"></i>failed</span><span><i style="background:#e8a0a8"></i>blocked</span></div>
<svg id="timeline" xmlns="http://www.w3.org/2000/svg" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}">
{{range $i, $s := .Stages}}<g class="stage" data-stage="{{$s.Name}}"><rect class="{{$s.Class}}" x="0" y="{{$s.Y}}" width="{{$.Width}}" height="{{$s.H}}"/><text class="stage-name" x="4" y="{{$s.LabelY}}">{{$s.Name}}</text></g>
{{end}}{{range .Ticks}}<g class="tick"><line x1="{{.X}}" x2="{{.X}}" y1="16" y2="{{$.Height}}"/><text x="{{.X}}" y="12">{{.Label}}</text></g>
{{end}}{{range .Bars}}<g class="step"><text x="96" y="{{.TextY}}">{{.Label}}</text><rect class="bar {{.Status}}{{if .Critical}} critical{{end}}" data-step="{{.Key}}" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="11"><title>{{.Title}}</title></rect></g>
{{end}}</svg>
<p id="critical-path">Critical path (the chain of needs that ended last): {{range $i, $k := .Critical}}{{if $i}} → {{end}}<code>{{$k}}</code>{{end}}</p>

<h2>Calls per API</h2>
<table id="calls"><tr><th>API</th><th>requests</th><th>retries</th><th>polls</th></tr>
{{range .Calls}}<tr><td>{{.API}}</td><td class="n">{{.Requests}}</td><td class="n">{{.Retries}}</td><td class="n">{{.Polls}}</td></tr>
{{end}}</table>
<p>Counted by tripod itself: every request attempt, every retry and every poll of a named condition made by the run's steps.</p>

<h2>Failures</h2>
<section id="failures">{{if .Failures}}<ul>{{range .Failures}}<li class="failure"><code>{{.Key}}</code> {{.Status}}: {{.Message}}</li>{{end}}</ul>{{else}}<p>None.</p>{{end}}</section>
</body>
</html>
`))
