package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ModeChange is one permission tightened on a path of the state directory.
type ModeChange struct {
	Path     string
	Old, New fs.FileMode
}

func (c ModeChange) String() string {
	return fmt.Sprintf("%s was mode %04o, open to other users; tightened it to %04o", c.Path, c.Old, c.New)
}

// privateFiles are the state directory's files that carry credentials
// outside the secrets store: the admin kubeconfig and talosconfig (client
// keys) and the rendered machine configs (the cluster's CA keys). The
// secrets store's own files are not tightened but refused when read
// (Secrets.Get): a secret that was readable may have been copied, and its
// owner should decide.
var privateFiles = []string{"kubeconfig", "talosconfig", "talos/*.yaml", "kubeconfig.age", "talosconfig.age", "talos/*.yaml.age"}

// TightenModes makes the state directory at dir (and its secrets directory)
// 0700 and its credential-bearing files 0600 where group or others had any
// access, and lists what it changed, so the caller warns once: the next
// command finds nothing to change. Symlinks are left alone (their target is
// not the state directory's to change). A dir that does not exist is no
// change.
func TightenModes(dir string) ([]ModeChange, error) {
	var out []ModeChange
	tighten := func(p string, isDir bool) error {
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("failed to check the mode of %s: %w", p, err)
		}
		want := fs.FileMode(0o600)
		if isDir {
			want = 0o700
		}
		if fi.IsDir() != isDir || !(fi.Mode().IsRegular() || fi.IsDir()) || fi.Mode().Perm()&0o077 == 0 {
			return nil
		}
		if err := os.Chmod(p, want); err != nil {
			return fmt.Errorf("failed to tighten %s (mode %04o, open to other users) to %04o: %w", p, fi.Mode().Perm(), want, err)
		}
		out = append(out, ModeChange{Path: p, Old: fi.Mode().Perm(), New: want})
		return nil
	}
	for _, d := range []string{dir, filepath.Join(dir, "secrets")} {
		if err := tighten(d, true); err != nil {
			return out, err
		}
	}
	for _, pattern := range privateFiles {
		matches, _ := filepath.Glob(filepath.Join(dir, pattern)) // the patterns are valid
		for _, p := range matches {
			if err := tighten(p, false); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}
