// Command tripod brings up a Talos Kubernetes cluster on Proxmox VE across
// three availability zones on Scaleway bare metal, from one inventory file.
package main

import (
	"os"

	"github.com/tripod-dev/tripod/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}
