package cli

import (
	"errors"
	"fmt"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/stage"
	"github.com/tripod-dev/tripod/internal/state"
)

// refuseBuiltChanges stops up and plan before anything is sent when the
// inventory changes what the cluster as built cannot change in place; every
// such change is printed, one sentence each.
func (ss *session) refuseBuiltChanges(s Streams) error {
	err := ss.env.CheckBuilt()
	var probs inventory.Problems
	if !errors.As(err, &probs) {
		return err
	}
	fmt.Fprintf(s.Err, "%s changes what the cluster as built (%s) cannot change in place; nothing was sent:\n", ss.inv.File, ss.dir.Path)
	return reportLoadError(s, err)
}

// recordBuilt adds a recorder of the cluster as built to the session's
// sinks; its Err is the run's to report.
func (ss *session) recordBuilt() (*stage.BuiltRecorder, error) {
	rec, err := ss.env.NewBuiltRecorder()
	if err != nil {
		return nil, err
	}
	ss.sink = run.Sinks{ss.sink, rec}
	return rec, nil
}

// builtProblems is what validate adds when the state directory at dir (the
// default one beside the inventory when dir is "") records a built
// cluster: the inventory's changes it cannot take in place.
func builtProblems(l *inventory.Loaded, dir string) (inventory.Problems, error) {
	if dir == "" {
		dir = state.DefaultPath(l.File, l.Cluster.Name)
	}
	id := inventory.NewIdentity(l.Cluster)
	found, err := state.ReadBuilt(dir, id)
	if err != nil || !found {
		return nil, err
	}
	return l.CheckBuilt(id), nil
}
