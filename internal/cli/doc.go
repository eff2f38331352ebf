// Package cli is tripod's command line: one file per command, each building
// its own flags struct (no package-level flag state), and the renderers that
// turn run events into plain lines, terminal output or a JSON stream. Main is
// the only place that decides an exit code.
package cli
