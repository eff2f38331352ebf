// Package stage holds tripod's run: what each stage observes and decides,
// never how an API is spoken (that is the client layers': scaleway, proxmox,
// talos, which never know whether they reach real services or the
// simulator).
//
// The run is the literal list in stages.go, a comment per stage, and the
// down list in down.go. Each stage is one type whose story is told in the
// files named after it: the type, its Targets and its Run in <stage>.go
// (servers.go, network.go, ceph.go, ...), the longer parts of its work in
// <stage>_<part>.go beside it (network_bridge.go, health_kube.go). Every
// stage computes its targets and their needs from the inventory alone,
// observes remote state before it acts, and changes anything only through
// the runner's gate (run.Step.Mutate). The runner calls a stage's Plan
// method (run.Planner), where it has one, instead of Run when a need only
// planned: what the target gets when built from nothing, with the mutation
// builders Run uses, so Run is the real path only. dryrun.go holds the dry-run plumbing
// the stages share (planOnly, sentOrPlanned, checkOrWait).
//
// What the stages share is plumbing of its own: env.go (the Env every stage
// of one run holds), facts.go (the typed observations a step publishes for
// the steps after it, the ownership tags and the secret names), targets.go
// (target and need helpers) and the stage-independent helpers named after
// what they serve (machineconfig_env.go: the Talos bundle, configs and clients;
// env_fleet.go: the run's Proxmox fleet; servers_session.go: its Scaleway
// session). Env holds each shared client as a typed field built once per
// run, never behind a string key.
package stage
