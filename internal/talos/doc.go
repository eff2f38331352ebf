// Package talos renders Talos machine configs with the machinery's own
// generator and talks to Talos nodes through the machinery's client. A
// node's config is built in a fixed order, each step able to override the
// one before: (1) generate.NewInput from the cluster's secrets bundle (made
// once with secrets.NewBundle and kept in the secrets store), the version
// contract of talos.version, the install disk and the Image Factory
// installer for the schematic, the pod and service subnets and every
// control plane as a talosconfig endpoint; (2) tripod's cluster patch (etcd
// advertisedSubnets and kubelet nodeIP.validSubnets pinned to the private
// subnet); (3) tripod's node patch (hostname, the static address, default
// route and resolvers on the VM's NIC, the zone and region node labels, and
// the VIP on control planes); (4) the inventory's talos.patches in their
// order, files relative to the inventory's directory, inline ones as given,
// each only for its target machine type, strategic merge or JSON6902 (a
// JSON6902 patch edits the v1alpha1 document only, the single-document form
// it was written for). The result is validated as a node validates it, in
// metal mode where install instructions are required, after tripod's patches
// and after each inventory patch, so a failure names the patch that caused
// it. Clients come in two kinds, insecure for maintenance mode (talosctl
// --insecure) and mutual TLS from a talosconfig, and every connection goes
// through the caller's dialer; every unary call has its own deadline and
// reads are resent when the node answered Unavailable (Retries), changes
// never; errors are classified by gRPC status code.
package talos
