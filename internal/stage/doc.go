// Package stage holds tripod's run: the ordered list of stages (stages.go)
// and one file per stage. Each stage computes its targets and their needs
// from the inventory alone, observes remote state before it acts, and changes
// anything only through the runner's gate. Stages talk to remote systems
// through the client layers (scaleway, proxmox, talos) and never know whether
// those reach real services or the simulator.
package stage
