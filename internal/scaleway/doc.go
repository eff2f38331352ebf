// Package scaleway is tripod's thin layer over scaleway-sdk-go: it builds
// one SDK client whose every connection goes through tripod's dialer and its
// retrying transport, exposes the SDK's own API types unmodified (Dedibox
// dedibox/v1 and its RPNv2 groups, Elastic Metal baremetal/v1 and the
// baremetal/v3 private networks, VPC v2, IAM SSH keys), and turns the SDK's
// errors into retry decisions and messages that carry the API's evidence.
// It holds no tripod logic beyond what reading Scaleway's catalogue needs.
package scaleway
