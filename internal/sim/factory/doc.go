// Package factory simulates the Talos Image Factory (factory.talos.dev): the
// schematic endpoint that turns a YAML customisation into its content-addressed
// ID (the SHA-256 of the canonical YAML, exactly as the real factory computes
// it), the image download route serving deterministic pseudo-random content
// derived from schematic, version and file name, and the version list. The
// Proxmox VE simulator asks it for checksums instead of fetching URLs, so a
// download-url task can verify an ISO without any network traffic; the
// top-level sim serves the handler over HTTPS with the simulator CA.
package factory
