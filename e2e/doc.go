// Package e2e runs the built tripod binary against `tripod sim serve` in its
// own process, the way a user or a CI pipeline does, and asserts on the
// simulator's state and request log, exit codes and files: never on log
// text.
package e2e
