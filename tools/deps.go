//go:build tools

// Package tools pins modules the simulator and stages will import, so go.mod is settled before they land.
package tools

import (
	_ "filippo.io/age"
	_ "github.com/Telmate/proxmox-api-go/proxmox"
	_ "github.com/hashicorp/go-multierror"
	_ "github.com/scaleway/scaleway-sdk-go/api/baremetal/v1"
	_ "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"
	_ "github.com/siderolabs/talos/pkg/machinery/api/machine"
	_ "github.com/siderolabs/talos/pkg/machinery/client"
	_ "github.com/siderolabs/talos/pkg/machinery/compatibility"
	_ "github.com/siderolabs/talos/pkg/machinery/config/configpatcher"
	_ "github.com/siderolabs/talos/pkg/machinery/config/generate"
	_ "github.com/spf13/cobra"
	_ "go.etcd.io/etcd/client/v3"
	_ "go.etcd.io/etcd/server/v3/embed"
	_ "golang.org/x/crypto/ssh"
	_ "gopkg.in/yaml.v3"
)
