// Package scaleway is tripod's layer over scaleway-sdk-go. A Session is one
// run's client: every connection goes through tripod's dialer and its
// retrying transport, reads and replacements are retried by classification
// (Read), waits are named conditions (Wait), and a create that must not
// happen twice goes through the caller's mutation gate once per send,
// looked for before it is resent (SendOnce). On it sit the typed services
// the stages use: servers of either provider (Server, GetServer,
// TaggedServer, orders and their Dedibox services), installs (Installer),
// the catalogue (offers, stock, Proxmox VE images), IAM SSH keys, and the
// private networks (Elastic Metal attachments, VPC networks, Dedibox RPNv2
// groups). It exposes the SDK's own API types unmodified and turns the
// SDK's errors into retry decisions and messages that carry the API's
// evidence (errors.go). Decisions (whether to act, what a server's tags
// mean, the journal of paid orders) stay in the stages; this package never
// imports internal/stage or internal/run, and reports progress through a
// plain callback.
package scaleway
