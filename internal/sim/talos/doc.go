// Package talos simulates Talos Linux nodes booted on Proxmox VMs: apid's
// gRPC MachineService from the machinery's own protobuf descriptors,
// answering on each VM's address at port 50000. A node boots into
// maintenance mode (server-only TLS from an ephemeral CA, everyone
// os:reader, no node routing), validates an applied machine config with the
// machinery's loader and validator, "installs", and then serves mutual TLS
// signed by the config's machine CA with roles from client certificates and
// apid's node/nodes proxying. Each control plane runs a real embedded etcd
// on loopback ports, over mutual TLS with certificates issued from the
// cluster's etcd CA (cluster.etcd.ca) for its client and peer URLs and for
// every client the simulator itself uses, so bootstrap, joins, member
// lists, snapshots, quorum loss and recovery behave as etcd does. When a
// control plane's config is applied, the cluster's Kubernetes API server
// (package kube) appears at cluster.controlPlane.endpoint, storing its
// config maps and secrets in that etcd. Time follows the simcore latency profile;
// nothing binds or dials outside 127.0.0.0/8.
package talos
