package talos

import (
	"fmt"

	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"
	"gopkg.in/yaml.v3"
)

// NewBundle generates a cluster's secrets (CAs, keys, tokens) for
// talosVersion's contract and returns them as YAML, the form talosctl gen
// secrets writes. clock dates the certificates: tests pass a fixed one.
// Call it once per cluster and keep the result: every config and client
// certificate derives from it.
func NewBundle(clock secrets.Clock, talosVersion string) ([]byte, error) {
	contract, err := config.ParseContractFromVersion(talosVersion)
	if err != nil {
		return nil, fmt.Errorf("failed to read Talos version %q: %w", talosVersion, err)
	}
	b, err := secrets.NewBundle(clock, contract)
	if err != nil {
		return nil, fmt.Errorf("failed to generate the Talos secrets bundle: %w", err)
	}
	out, err := yaml.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("failed to encode the Talos secrets bundle: %w", err)
	}
	return out, nil
}

// LoadBundle decodes a bundle NewBundle made, as secrets.LoadBundle does
// from a file (the store may keep it encrypted, so it is decoded from
// memory). The bundle's clock is the system's, for new client certificates.
// Errors never quote the bundle.
func LoadBundle(data []byte) (*secrets.Bundle, error) {
	b := &secrets.Bundle{Clock: secrets.NewClock()}
	if err := yaml.Unmarshal(data, b); err != nil {
		return nil, fmt.Errorf("the stored Talos secrets bundle is not readable YAML (line info withheld: it holds keys)")
	}
	if err := b.Validate(); err != nil {
		return nil, fmt.Errorf("the stored Talos secrets bundle is incomplete: %w", err)
	}
	return b, nil
}
