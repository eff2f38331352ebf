// Package report renders a run's report: report.html (a self-contained page
// with the timeline of every step drawn as inline SVG, the critical path
// marked, the calls per API, the failures and the cluster's summary) and
// summary.md (the same in a form a CI job summary shows). It only formats
// what the runner reported (run.Report); it calls nothing.
package report
