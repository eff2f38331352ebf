// Package retry owns every retry and wait in tripod: errors are classified
// (transient, fatal) from HTTP statuses, gRPC codes and errors.Is, never from
// their text; each attempt gets its own timeout so a hung call is cut; waits
// are named conditions that report progress and honour the context; and
// retries are counted per API for the run summary. Timing scales every
// interval and deadline, so a run against the time-scaled simulator polls as
// often, relative to the simulated clock, as it would against real services.
package retry
