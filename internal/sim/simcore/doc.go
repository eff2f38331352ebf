// Package simcore owns what every simulated API shares: the scaled clock and
// latency profiles, the seeded fault model, the request log that tests assert
// on, and the address map that puts every simulated endpoint (a Scaleway
// server's public address, a VM's private address, a cluster endpoint) on a
// loopback listener. The per-API simulators (scaleway, proxmox, talos, kube)
// build on it and never on each other; the top-level sim package wires them.
//
// Nothing here binds or dials outside 127.0.0.0/8.
package simcore
