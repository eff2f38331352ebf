package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// BuiltFile is the state directory's record of the cluster as built (an
// inventory.Identity): what a live cluster cannot change in place, recorded
// as each piece is built. It holds no secrets.
const BuiltFile = "built.json"

// ReadBuilt reads the record of the cluster as built in the state directory
// at dir into v. It needs no lock (the file is only ever replaced whole), so
// validate can read it; found is false when nothing was recorded.
func ReadBuilt(dir string, v any) (found bool, err error) {
	p := filepath.Join(dir, BuiltFile)
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("failed to read %s: %w", p, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("%s is not a record of a built cluster (%v); restore it from a backup of the state directory", p, err)
	}
	return true, nil
}

// ReadBuilt is ReadBuilt for this directory.
func (d *Dir) ReadBuilt(v any) (bool, error) { return ReadBuilt(d.Path, v) }

// WriteBuilt replaces the record of the cluster as built, atomically.
func (d *Dir) WriteBuilt(v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("failed to encode %s: %w", BuiltFile, err)
	}
	return d.WriteFile(BuiltFile, append(data, '\n'), 0o600)
}
