//go:build nosim

package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// errNoSim is what `tripod up --sim` and `tripod sim serve` answer in a
// build made with -tags nosim, which leaves the simulator (and its etcd
// server) out of the binary.
var errNoSim = errors.New("this build has no simulator; build without -tags nosim")

func hostSim(*simFlags, string) (*remote, error) { return nil, errNoSim }

// simAvailable refuses --sim before the command touches anything.
func simAvailable(useSim bool) error {
	if useSim {
		return errNoSim
	}
	return nil
}

func serveSim(*cobra.Command, Streams, *simServeFlags) error { return errNoSim }
