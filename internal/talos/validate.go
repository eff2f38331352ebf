package talos

import (
	"errors"
	"fmt"
	"strings"

	"github.com/siderolabs/talos/pkg/machinery/config"
	coreconfig "github.com/siderolabs/talos/pkg/machinery/config/config"
	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/config/configpatcher"
	"github.com/siderolabs/talos/pkg/machinery/config/container"
	"github.com/siderolabs/talos/pkg/machinery/config/encoder"
)

// metalMode is the runtime mode a freshly booted, not yet installed VM
// validates its config in: metal, where install instructions are required.
// The machinery exports only the interface; machined owns the modes.
type metalMode struct{}

func (metalMode) String() string        { return "metal" }
func (metalMode) RequiresInstall() bool { return true }
func (metalMode) InContainer() bool     { return false }

// validate runs the machinery's validation as a node does before it
// accepts a config.
func validate(cfg config.Provider) ([]string, error) {
	warnings, err := cfg.Validate(metalMode{})
	if err != nil {
		return warnings, &ValidationError{Problems: problems(err)}
	}
	if cfg.RawV1Alpha1() == nil {
		return warnings, errors.New("invalid machine config: no v1alpha1 document (a node refuses a config without one)")
	}
	return warnings, nil
}

// ValidationError is the machinery validator's verdict, one problem per
// entry, without multierror's framing.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	return "invalid machine config: " + strings.Join(e.Problems, "; ")
}

// problems flattens the validator's nested multierror text into its
// leaves, keeping each document's prefix.
func problems(err error) []string {
	var out []string
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "* "))
		if line == "" || strings.HasSuffix(line, "occurred:") {
			continue
		}
		out = append(out, line)
	}
	return out
}

// PatchError is a node's config failing to build or validate, with the
// patch that made it fail.
type PatchError struct {
	Node  string
	Patch string // "talos.patches[2] (inline)", "tripod's node settings"; "" when no patch is to blame
	Path  string // the patch's inventory path, "talos.patches[2]"; "" for tripod's own
	Err   error
}

func (e *PatchError) Error() string {
	if e.Patch == "" {
		return fmt.Sprintf("machine config of %s: %v", e.Node, e.Err)
	}
	return fmt.Sprintf("machine config of %s: %s: %v", e.Node, e.Patch, e.Err)
}

func (e *PatchError) Unwrap() error { return e.Err }

// applyJSON6902 applies a JSON6902 patch to the v1alpha1 document and puts
// the other documents back unchanged.
func applyJSON6902(cfg config.Provider, p configpatcher.Patch) (config.Provider, error) {
	v1 := cfg.RawV1Alpha1()
	if v1 == nil {
		return nil, errors.New("a JSON6902 patch needs a v1alpha1 document to edit")
	}
	b, err := container.NewV1Alpha1(v1).EncodeBytes(encoder.WithComments(encoder.CommentsDisabled))
	if err != nil {
		return nil, err
	}
	out, err := configpatcher.Apply(configpatcher.WithBytes(b), []configpatcher.Patch{p})
	if err != nil {
		return nil, err
	}
	patched, err := out.Bytes()
	if err != nil {
		return nil, err
	}
	loaded, err := configloader.NewFromBytes(patched)
	if err != nil {
		return nil, fmt.Errorf("the patched v1alpha1 document does not load: %w", err)
	}
	if loaded.RawV1Alpha1() == nil {
		return nil, errors.New("the JSON6902 patch left no v1alpha1 document")
	}
	docs := []coreconfig.Document{loaded.RawV1Alpha1()}
	for _, d := range cfg.Documents() {
		if d != coreconfig.Document(v1) {
			docs = append(docs, d)
		}
	}
	return container.New(docs...)
}
