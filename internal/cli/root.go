package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/tripod-dev/tripod/internal/crashpoint"
)

// Streams are the command's standard streams.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// exitError carries an exit code other than 1 (plan's 2: changes pending).
type exitError struct {
	code int
	err  error // nil: nothing more to print
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// silentError has already been reported in full (every inventory problem on
// its own line); Main prints nothing more.
type silentError struct{ err error }

func (e *silentError) Error() string { return e.err.Error() }
func (e *silentError) Unwrap() error { return e.err }

// Main runs tripod with args and returns the process exit code.
func Main(args []string, s Streams) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The process's one crash hook (crash tests arm it through the
	// environment); every session takes it from the context.
	ctx = crashpoint.WithHook(ctx, crashpoint.FromEnv(os.Getenv))
	cmd := NewRootCommand(s)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && !isSilent(ee.err) {
			fmt.Fprintln(s.Err, "Error:", ee.err)
		}
		return ee.code
	}
	if !isSilent(err) {
		fmt.Fprintln(s.Err, "Error:", err)
	}
	return 1
}

func isSilent(err error) bool {
	var se *silentError
	return errors.As(err, &se)
}

// NewRootCommand builds the command tree.
func NewRootCommand(s Streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "tripod",
		Short: "Bring up Talos Kubernetes on Proxmox VE across three AZs on Scaleway bare metal",
		Long: `tripod brings up a production Kubernetes cluster on Talos Linux, running as VMs on a
Proxmox VE cluster spread over three availability zones on Scaleway bare metal, with
Ceph across the AZs, from one declarative inventory file.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.AddCommand(
		newInitCommand(s),
		newValidateCommand(s),
		newSchemaCommand(s),
		newVersionCommand(s),
		newOffersCommand(s),
		newPlanCommand(s),
		newUpCommand(s),
		newStatusCommand(s),
		newDownCommand(s),
		newSimCommand(s),
		newKubeconfigCommand(s),
		newTalosconfigCommand(s),
		newUnlockCommand(s),
		newTunnelCommand(s),
		newStateCommand(s),
		newBackupCommand(s),
		newDrillCommand(s),
	)
	registerCompletions(root)
	return root
}
