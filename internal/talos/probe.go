package talos

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/client"
	clientconfig "github.com/siderolabs/talos/pkg/machinery/client/config"
	"github.com/siderolabs/talos/pkg/machinery/constants"

	"github.com/tripod-dev/tripod/internal/retry"
)

// Mode is how a node's Talos API answers.
type Mode int

const (
	Silent      Mode = iota // not answering (booting, installing, rebooting)
	Maintenance             // insecure, waiting for a config
	Configured              // mutual TLS with this cluster's CA
)

// Probe asks one node's Talos API how it answers, and waits for the
// answers a bring-up expects. It changes nothing on the node.
type Probe struct {
	Dial    DialFunc
	Retries Retries // per call; its Timing scales the waits too
	// Config is the cluster's talosconfig, for the mutual-TLS attempt; an
	// error there counts as no answer over mutual TLS.
	Config func() (*clientconfig.Config, error)
	// Name and Address are the node's, as the waits name it.
	Name, Address string
}

// Progress hears a wait's status lines.
type Progress func(status string)

// secure runs fn with a mutual-TLS client to the node that lives for this
// call only.
func (p Probe) secure(ctx context.Context, fn func(context.Context, *client.Client) error) error {
	tc, err := p.Config()
	if err != nil {
		return err
	}
	c, err := Secure(ctx, p.Dial, tc, WithEndpoints(p.Address), WithRetries(p.Retries))
	if err != nil {
		return err
	}
	defer c.Close()
	return fn(ctx, c)
}

func version(ctx context.Context, c *client.Client) error {
	_, err := c.Version(ctx)
	return err
}

// Mode asks the node once: over mutual TLS with the cluster's CA first (a
// configured node, the common case on every run after the first), then
// insecurely (maintenance). A node that answers neither returns the error
// classified by the maintenance attempt.
func (p Probe) Mode(ctx context.Context) (Mode, error) {
	ctx, cancel := context.WithTimeout(ctx, p.Retries.Timing.Attempt(10*time.Second))
	defer cancel()
	secureErr := p.secure(ctx, version)
	if secureErr == nil {
		return Configured, nil
	}
	c, err := Insecure(ctx, p.Dial, p.Address, WithRetries(p.Retries))
	if err != nil {
		return Silent, err
	}
	defer c.Close()
	if _, err := c.Version(ctx); err != nil {
		return Silent, fmt.Errorf("no answer over mutual TLS (%v) nor in maintenance mode: %w", FirstLine(secureErr), err)
	}
	return Maintenance, nil
}

// WaitAnswer waits until the node answers in either mode, as the named
// condition "Talos API of <name> at <address>:50000".
func (p Probe) WaitAnswer(ctx context.Context, progress Progress) (Mode, error) {
	var mode Mode
	err := WaitQuietly(ctx, "no answer yet", retry.Condition{
		API: "talos", Name: fmt.Sprintf("Talos API of %s at %s:%d", p.Name, p.Address, constants.ApidPort),
		Interval: p.Retries.Timing.Interval(5 * time.Second), Timeout: p.Retries.Timing.Deadline(30 * time.Minute),
		Check: func(ctx context.Context) (bool, string, error) {
			m, err := p.Mode(ctx)
			mode = m
			return err == nil, "", err
		},
		Classify: Classify, Progress: progress,
	})
	return mode, err
}

// WaitSecure waits until the node answers over mutual TLS with the
// cluster's CA: it has left maintenance, installed and booted with its
// config.
func (p Probe) WaitSecure(ctx context.Context, progress Progress) error {
	return WaitQuietly(ctx, "installing and booting", retry.Condition{
		API: "talos", Name: fmt.Sprintf("%s answering over mutual TLS with the cluster's CA", p.Name),
		Interval: p.Retries.Timing.Interval(5 * time.Second), Timeout: p.Retries.Timing.Deadline(30 * time.Minute),
		Check: func(ctx context.Context) (bool, string, error) {
			ctx, cancel := context.WithTimeout(ctx, p.Retries.Timing.Attempt(10*time.Second))
			defer cancel()
			err := p.secure(ctx, version)
			return err == nil, "", err
		},
		Classify: Classify, Progress: progress,
	})
}

// WaitRunning waits until the node runs data, as its own dry-run apply
// reports: after an apply that resolved to REBOOT the new config is active
// only once the node is back (until then the node refuses with
// FailedPrecondition, or does not answer).
func (p Probe) WaitRunning(ctx context.Context, data []byte, progress Progress) error {
	return WaitQuietly(ctx, "rebooting", retry.Condition{
		API: "talos", Name: fmt.Sprintf("%s rebooted into its new config", p.Name),
		Interval: p.Retries.Timing.Interval(5 * time.Second), Timeout: p.Retries.Timing.Deadline(30 * time.Minute),
		Check: func(ctx context.Context) (bool, string, error) {
			ctx, cancel := context.WithTimeout(ctx, p.Retries.Timing.Attempt(10*time.Second))
			defer cancel()
			var same bool
			err := p.secure(ctx, func(ctx context.Context, c *client.Client) (err error) {
				_, same, err = DryRunApply(ctx, c, data)
				return err
			})
			if err == nil && !same {
				return false, "still running the previous config", nil
			}
			return same, "", err
		},
		Classify: Classify, Progress: progress,
	})
}

// DryRunApply asks the node what applying data in AUTO mode would do,
// changing nothing: the resolved mode, and whether the config differs from
// the one it runs ("No changes." is how machined reports an empty diff).
func DryRunApply(ctx context.Context, c *client.Client, data []byte) (machine.ApplyConfigurationRequest_Mode, bool, error) {
	resp, err := c.ApplyConfiguration(ctx, &machine.ApplyConfigurationRequest{Data: data, Mode: machine.ApplyConfigurationRequest_AUTO, DryRun: true})
	if err != nil {
		return 0, false, err
	}
	if len(resp.GetMessages()) == 0 {
		return 0, false, fmt.Errorf("the dry-run apply returned no answer")
	}
	msg := resp.GetMessages()[0]
	return msg.GetMode(), strings.HasSuffix(strings.TrimSpace(msg.GetModeDetails()), "No changes."), nil
}

// WaitQuietly is retry.Wait for a node that is expected not to answer for
// a while: a transient error shows as "<waiting> (<gRPC code>)" rather
// than a TLS handshake message per poll, and the last one is kept for the
// timeout's error.
func WaitQuietly(ctx context.Context, waiting string, c retry.Condition) error {
	var last error
	check := c.Check
	c.Check = func(ctx context.Context) (bool, string, error) {
		done, status, err := check(ctx)
		if err != nil && Classify(err).Class == retry.Transient {
			last = err
			return false, fmt.Sprintf("%s (%s)", waiting, Code(err)), nil
		}
		return done, status, err
	}
	err := retry.Wait(ctx, c)
	if err != nil && last != nil {
		return fmt.Errorf("%w; last error: %v", err, last)
	}
	return err
}

// FirstLine keeps the first line of an error for a status line.
func FirstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
