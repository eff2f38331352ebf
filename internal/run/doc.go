// Package run executes stages. A stage fans out over its targets; each
// (stage, target) step declares the steps it needs, and starts as soon as
// those are done, not when the slowest target of the previous stage is, so a
// run's length approaches its longest chain of remote waits. Every change to
// a remote system passes through one gate, Step.Mutate, which records it and
// which in a dry run records without executing, so plan lists exactly what up
// would do; a step whose need only planned is planned from nothing by its
// stage's Plan method (Planner), as there is nothing to observe. Concurrency is bounded per named pool (per API, per Proxmox
// node), failures stay with their target and what depends on it, and
// progress leaves as events for pluggable renderers.
package run
