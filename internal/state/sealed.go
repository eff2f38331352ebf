package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Files outside secrets/ that hold secret material (machine configs with
// the cluster's CA keys and tokens, the talosconfig's and the kubeconfig's
// client keys) follow the store: in clear at their path when it is not
// encrypted, sealed at path+".age" when it is, so the clear content never
// reaches the disk. Open is told which they are (Options.SecretFiles).

// SecretPath is where the secret file rel is kept: rel, or rel.age when the
// store is encrypted.
func (d *Dir) SecretPath(rel string) string {
	p := filepath.Join(d.Path, rel)
	if d.Secrets.Encrypted() {
		p += SealedSuffix
	}
	return p
}

// WriteSecretFile writes the secret file rel 0600 and atomically, sealed to
// the store's recipients when it is encrypted.
func (d *Dir) WriteSecretFile(rel string, data []byte) error {
	if _, err := d.File(rel); err != nil {
		return err
	}
	sealed, err := d.Secrets.sealer.Seal(data)
	if err != nil {
		return fmt.Errorf("failed to seal %s: %w", rel, err)
	}
	if err := WriteFileAtomic(d.SecretPath(rel), sealed, 0o600); err != nil {
		return err
	}
	return d.stored()
}

// ReadSecretFile returns the content of the secret file rel, opened if
// sealed. An absent file is an error for which errors.Is(err,
// fs.ErrNotExist) holds; a file others can read, or one that does not open,
// is one sentence naming it and what to do.
func (d *Dir) ReadSecretFile(rel string) ([]byte, error) {
	return readSecretFile(d.Secrets.sealer, d.SecretPath(rel))
}

// ReadSecretFile reads the secret file rel of the state directory at dir
// without opening (or locking) it, as the commands that hand out the
// kubeconfig and the talosconfig do while up may run. It returns the path
// it read.
func ReadSecretFile(dir, rel string) ([]byte, string, error) {
	sealer, _, _, err := storeSealer(filepath.Join(dir, "secrets"), "")
	if err != nil {
		return nil, "", err
	}
	p := filepath.Join(dir, rel)
	if _, ok := sealer.(*ageSealer); ok {
		p += SealedSuffix
	}
	b, err := readSecretFile(sealer, p)
	return b, p, err
}

func readSecretFile(sealer Sealer, p string) ([]byte, error) {
	st, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no %s: %w", p, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read %s: %w", p, err)
	}
	if err := private(p, st); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("failed to read %s: %w", p, err)
	}
	plain, err := sealer.Open(b)
	if err != nil {
		return nil, openError(sealer, p, err)
	}
	return plain, nil
}

func openError(sealer Sealer, p string, err error) error {
	if a, ok := sealer.(*ageSealer); ok {
		return a.openError(p, err)
	}
	return fmt.Errorf("failed to read %s: %w", p, err)
}

// toSeal is one file to (re-)seal: read from from, sealed to to, from
// removed when they differ (a clear copy turned into a sealed one).
type toSeal struct{ from, to string }

// sealFiles brings every file the sealer governs to the current recipients:
// when they changed, every secret and every sealed file; always, the clear
// copies of root's secretFiles. Everything is opened with the current
// identity first; if one file does not open, nothing is written.
func (s *Secrets) sealFiles(a *ageSealer, changed bool, root string, secretFiles []string) error {
	files, err := s.filesToSeal(changed, root, secretFiles)
	if err != nil {
		return err
	}
	plain := make([][]byte, len(files))
	for i, f := range files {
		b, err := os.ReadFile(f.from)
		if err != nil {
			return fmt.Errorf("failed to read %s to re-seal it: %w", f.from, err)
		}
		if isAgeArmor(b) {
			if b, err = a.Open(b); err != nil {
				return fmt.Errorf("%w; nothing was re-sealed", a.openError(f.from, err))
			}
		}
		plain[i] = b
	}
	for i, f := range files {
		sealed, err := a.Seal(plain[i])
		if err != nil {
			return fmt.Errorf("failed to seal %s: %w", f.to, err)
		}
		if err := WriteFileAtomic(f.to, sealed, 0o600); err != nil {
			return err
		}
		if f.from != f.to {
			if err := os.Remove(f.from); err != nil {
				return fmt.Errorf("failed to remove %s once sealed to %s: %w", f.from, f.to, err)
			}
			if err := syncDir(filepath.Dir(f.from)); err != nil {
				return err
			}
		}
	}
	return nil
}

// filesToSeal lists the files sealFiles works on, each once, in a stable
// order.
func (s *Secrets) filesToSeal(changed bool, root string, secretFiles []string) ([]toSeal, error) {
	byTo := map[string]toSeal{}
	if changed {
		ents, err := os.ReadDir(s.dir)
		if err != nil {
			return nil, fmt.Errorf("failed to list %s: %w", s.dir, err)
		}
		for _, e := range ents {
			if secretNameRE.MatchString(e.Name()) && e.Type().IsRegular() {
				p := filepath.Join(s.dir, e.Name())
				byTo[p] = toSeal{p, p}
			}
		}
	}
	if root != "" && changed {
		err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() && p == s.dir {
				return filepath.SkipDir
			}
			if e.Type().IsRegular() && strings.HasSuffix(p, SealedSuffix) && !strings.HasPrefix(e.Name(), ".") {
				byTo[p] = toSeal{p, p}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("failed to list the sealed files of %s: %w", root, err)
		}
	}
	for _, g := range secretFiles {
		ms, err := filepath.Glob(filepath.Join(root, g))
		if err != nil {
			return nil, fmt.Errorf("bad secret file pattern %q: %w", g, err)
		}
		for _, m := range ms {
			if fi, err := os.Lstat(m); err == nil && fi.Mode().IsRegular() && !strings.HasSuffix(m, SealedSuffix) {
				byTo[m+SealedSuffix] = toSeal{m, m + SealedSuffix}
			}
		}
	}
	out := make([]toSeal, 0, len(byTo))
	for _, f := range byTo {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].to < out[j].to })
	return out, nil
}
