// Package proxmox simulates a fleet of Proxmox VE hosts well enough that the
// unmodified Telmate client and golang.org/x/crypto/ssh drive it as they would
// real machines: HTTPS /api2/json per host with its own self-signed (later
// cluster-CA-signed) certificate, ticket, CSRF and API-token auth, UPID tasks
// whose states are computed from their start times on the scaled clock,
// corosync-style cluster create and serialized joins with quorum, node
// networking with pending changes, storage with Image Factory downloads,
// QEMU guests, and a Ceph cluster whose health is derived from monitors, OSDs,
// the CRUSH map and pool rules. Host commands the API lacks run through one
// interpreter reached over SSH or the API's own termproxy websocket. State is
// shared per corosync cluster the way /etc/pve is, so tokens, storage and VMs
// follow membership; Save and Load let a rehearsed world resume later.
package proxmox
