package run

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Key names one step: a stage's work on one target.
type Key struct {
	Stage  string `json:"stage"`
	Target string `json:"target"`
}

// AllTargets as a Key's Target means every target of the stage.
const AllTargets = "*"

// All is a need on every target of stage.
func All(stage string) Key { return Key{Stage: stage, Target: AllTargets} }

// On is a need on one target of stage.
func On(stage, target string) Key { return Key{Stage: stage, Target: target} }

func (k Key) String() string { return k.Stage + "/" + k.Target }

// Target is one unit of a stage's work.
type Target struct {
	ID    string
	Needs []Key
	// Pools are concurrency pools the step holds while it runs
	// ("pvecluster-join" with capacity 1 serializes joins).
	Pools []string
	// Placement is the failure domain the target lives in (its AZ), or ""
	// for a cluster-wide target. An observe-only run (Runner.KeepObserving)
	// lets a step observe although a need failed in another placement.
	Placement string
}

// Stage is one entry of the ordered stage list.
type Stage interface {
	// Name is the stage's lower-case name, as --until takes it.
	Name() string
	// Targets lists the stage's targets and their needs. It is computed from
	// desired state only (the inventory), so plan and up agree on it.
	Targets() []Target
	// Run observes the target's remote state and acts on the difference
	// through s.Mutate. A step with nothing to do makes no mutation.
	Run(ctx context.Context, s *Step) error
}

// Planner is a Stage that can plan a target from nothing. When a need of the
// step only planned its mutations (a dry run over state that does not exist
// yet), there is nothing for Run to observe, so the runner calls Plan
// instead: it records, through s.Mutate, what the stage would send to a
// target built from nothing, in the order Run would send it. Run then reads
// as the real path only. A stage without Plan gets Run and sees
// Step.UpstreamPlanned.
type Planner interface {
	Plan(ctx context.Context, s *Step) error
}

// Mutation describes one change to a remote system: exactly one mutating
// request, so that a plan's list of mutations is the list of requests up
// will send.
type Mutation struct {
	API    string `json:"api"`    // scaleway, proxmox, ssh, talos
	Verb   string `json:"verb"`   // order, install, create, join, apply...
	Object string `json:"object"` // what is changed: "server lab-pve-1 (START-9-M in DC2)"
	Detail string `json:"detail,omitempty"`
	// Request is the request it sends, as a template: "POST
	// /api2/json/nodes/{node}/qemu" (HTTP: the method and the API's path
	// with its parameters named as the API documents them),
	// "/machine.MachineService/Bootstrap" (gRPC), or the command's leading
	// words for a host command ("pveceph install", "ceph osd crush move").
	Request string `json:"request,omitempty"`
}

func (m Mutation) String() string {
	s := fmt.Sprintf("%s %s (%s)", m.Verb, m.Object, m.API)
	if m.Detail != "" {
		s += ": " + m.Detail
	}
	return s
}

// ErrPlanned is what Mutate returns in a dry run: the mutation was recorded,
// not executed, and whatever needed its result cannot be observed yet.
var ErrPlanned = errors.New("planned, not executed")

// Status is a step's outcome.
type Status string

// The outcomes.
const (
	StatusChanged   Status = "changed"   // mutations were made
	StatusUnchanged Status = "unchanged" // observation showed nothing to do
	StatusPlanned   Status = "planned"   // dry run: mutations recorded
	StatusFailed    Status = "failed"
	StatusBlocked   Status = "blocked"  // a need failed
	StatusCanceled  Status = "canceled" // the run was interrupted
)

func (s Status) ok() bool { return s == StatusChanged || s == StatusUnchanged || s == StatusPlanned }

// StepError is one target's failure.
type StepError struct {
	Key Key
	Err error
}

func (e *StepError) Error() string { return fmt.Sprintf("%s: %v", e.Key, e.Err) }
func (e *StepError) Unwrap() error { return e.Err }

// StepResult is one step's outcome in a Report.
type StepResult struct {
	Key       Key
	Status    Status
	Started   time.Time
	Duration  time.Duration
	Mutations []Mutation
	Reason    string // why it was skipped or blocked
	Err       error
	// Needs are the steps this one waited for, each target named (a need
	// on all of a stage is expanded), for the report's critical path.
	Needs []Key
}

// StageTiming is how long a stage's steps spanned.
type StageTiming struct {
	Name     string        `json:"name"`
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration"`
	Steps    int           `json:"steps"`
}

// Report is what a run did.
type Report struct {
	Steps  []StepResult
	Stages []StageTiming
	// Calls is, per API, what the steps' calls cost (retry.Observer).
	Calls map[string]APICalls
}

// Mutations lists every mutation made (or planned), in step order.
func (r *Report) Mutations() []Mutation {
	var out []Mutation
	for _, s := range r.Steps {
		out = append(out, s.Mutations...)
	}
	return out
}

// Failed returns the failed and blocked steps.
func (r *Report) Failed() []StepResult {
	var out []StepResult
	for _, s := range r.Steps {
		if !s.Status.ok() {
			out = append(out, s)
		}
	}
	return out
}
