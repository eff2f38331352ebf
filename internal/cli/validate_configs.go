package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/stage"
	"github.com/tripod-dev/tripod/internal/state"
	"github.com/tripod-dev/tripod/internal/talos"
)

// checkConfigs renders and validates every node's machine config of l, as
// up's preflight does: with the secrets bundle of the state directory when
// it has one (read only: no lock, nothing created), else with a throwaway
// bundle that lives in memory only. notes are what the user should know
// about the check itself; problems are the nodes that would refuse their
// config, one each.
func checkConfigs(l *inventory.Loaded, stateDir string) (n int, notes []string, problems []inventory.Problem, err error) {
	b, note, err := validationBundle(l, stateDir)
	if err != nil {
		return 0, nil, nil, err
	}
	if note != "" {
		notes = append(notes, note)
	}
	rendered, err := talos.RenderAll(l, b)
	if err == nil {
		return len(rendered), notes, nil, nil
	}
	var all talos.ConfigErrors
	if !errors.As(err, &all) {
		// The patches themselves cannot be read: one problem for every node.
		all = talos.ConfigErrors{err}
	}
	for _, e := range all {
		problems = append(problems, configProblem(l.File, e))
	}
	return len(rendered), notes, problems, nil
}

// configProblem is one node's refusal as an inventory problem, positioned at
// the patch that caused it: FILE: talos.patches[1]: machine config of NODE
// (PATCH FILE): MESSAGE.
func configProblem(file string, err error) inventory.Problem {
	p := inventory.Problem{File: file, Severity: inventory.SeverityError, Message: err.Error()}
	var pe *talos.PatchError
	if errors.As(err, &pe) && pe.Path != "" {
		p.Path = pe.Path
		p.Message = fmt.Sprintf("machine config of %s%s: %v", pe.Node, strings.TrimPrefix(pe.Patch, pe.Path), pe.Err)
	}
	return p
}

// validationBundle is the state directory's Talos secrets bundle if it has
// one, else a throwaway one. A stored bundle that cannot be read (an
// encrypted store without its identity) is noted, not fatal: the configs'
// validity does not depend on which bundle signs them.
func validationBundle(l *inventory.Loaded, stateDir string) (*secrets.Bundle, string, error) {
	if stateDir == "" {
		stateDir = state.DefaultPath(l.File, l.Cluster.Name)
	}
	secretsDir := filepath.Join(stateDir, "secrets")
	note := ""
	if fi, err := os.Stat(secretsDir); err == nil && fi.IsDir() {
		b, err := stage.StoredTalosBundle(secretsDir)
		switch {
		case err == nil && b != nil:
			return b, "", nil
		case err != nil:
			note = fmt.Sprintf("machine configs checked with a throwaway secrets bundle: the stored one could not be read: %v", err)
		}
	}
	b, err := talos.ThrowawayBundle(l.Cluster.Talos.Version)
	if err != nil {
		return nil, "", err
	}
	return b, note, nil
}
