// Package scaleway owns the simulated Scaleway API: the Dedibox (dedibox/v1),
// Elastic Metal (baremetal/v1, with baremetal/v3 private network
// attachments), VPC v2 private networks (vpc/v2, regional, with a default VPC
// per region) and IAM SSH key endpoints, spoken over the same REST wire
// protocol as scaleway-sdk-go v1.39.0 so the unmodified SDK works against it.
// It holds the offer and OS catalogues, the stock per datacenter or zone, and
// the status machines of orders, servers, installs, RPNv2 groups and private
// network attachments, computed from recorded start times on the simulator's
// scaled clock so a saved world resumes where it stopped. It tells the rest of
// the simulator about finished Proxmox VE installs and removed servers through
// hook functions, never by importing the other simulated APIs or the tool's
// own packages.
package scaleway
