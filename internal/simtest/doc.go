// Package simtest is the one test kit: a simulated world started
// in-process, the tool's environment over it, and the assertions every
// layer's tests share (a second run changes nothing, no secret in an
// output, the kubeconfig and private files tripod writes, count diffs).
//
// Only tests import it. It is an ordinary package so that tests of several
// packages (stage, e2e) can share it, and guard_test.go fails if any
// non-test file in the repository imports it, so the binary never links it.
//
// It does not import internal/stage: stage's own in-package tests use it,
// and Go refuses that import cycle. Instead a World is generic over the
// tool's environment E, and the caller hands over how to build and run one
// (Tool: stage passes a func over stage.NewEnv, and stage.List). So the
// kit owns the world (simulator, dialer, state directory, inventory,
// Scaleway profile) and the assertions; stage's harness_test.go only says
// how an Env is built from it. The e2e tests keep their fresh-process
// harness (a `tripod sim serve` process and the built binary) and use the
// kit's readers and assertions.
package simtest
