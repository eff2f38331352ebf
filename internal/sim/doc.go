// Package sim is the simulated world tripod rehearses on: it wires the
// Scaleway, Proxmox VE, Image Factory, Talos and Kubernetes simulators into
// one world (a finished Proxmox VE install makes a Proxmox host appear at
// the server's address; a started VM boots a Talos node at its cloud-init
// address), serves the admin endpoint tests and tools inspect (/state,
// /requests, /netmap, /faults), loads preloaded resources, and saves and
// restores the whole world so successive commands act on one continuing
// world. The tool never imports it except to host it (`tripod sim serve`,
// `--sim`); the two meet only on the wire.
package sim
