package drill

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tripod-dev/tripod/internal/state/s3state"
)

// Upload copies the committed backup at dir (named name) to PREFIX/name/
// in objs: every file its manifest lists, then the manifest last, so a
// remote backup with a manifest has all its files.
func Upload(ctx context.Context, objs *s3state.Objects, dir, name string, m *Manifest) error {
	for _, f := range m.Files {
		if err := uploadFile(ctx, objs, filepath.Join(dir, filepath.FromSlash(f.Name)), path.Join(name, f.Name)); err != nil {
			return err
		}
	}
	return uploadFile(ctx, objs, filepath.Join(dir, ManifestFile), path.Join(name, ManifestFile))
}

func uploadFile(ctx context.Context, objs *s3state.Objects, local, rel string) error {
	fh, err := os.Open(local)
	if err != nil {
		return err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return err
	}
	if err := objs.Put(ctx, rel, fh, st.Size()); err != nil {
		return fmt.Errorf("failed to upload %s to %s: %w", rel, objs.Location(), err)
	}
	return nil
}

// ListRemote lists the backups under objs' prefix, oldest first. One is
// complete when its manifest is there and every file it lists is there
// with its size.
func ListRemote(ctx context.Context, objs *s3state.Objects) ([]Backup, error) {
	infos, err := objs.List(ctx, "")
	if err != nil {
		return nil, err
	}
	byBackup := map[string]map[string]int64{}
	for _, o := range infos {
		name, rel, ok := strings.Cut(o.Name, "/")
		if !ok {
			continue
		}
		if byBackup[name] == nil {
			byBackup[name] = map[string]int64{}
		}
		byBackup[name][rel] = o.Size
	}
	names := make([]string, 0, len(byBackup))
	for n := range byBackup {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []Backup
	for _, n := range names {
		out = append(out, remoteBackup(ctx, objs, n, byBackup[n]))
	}
	return out, nil
}

func remoteBackup(ctx context.Context, objs *s3state.Objects, name string, files map[string]int64) Backup {
	b := Backup{Name: name}
	if _, ok := files[ManifestFile]; !ok {
		b.Problem = "no manifest: the upload did not finish"
		for _, s := range files {
			b.Size += s
		}
		return b
	}
	data, err := objs.Get(ctx, path.Join(name, ManifestFile))
	if !b.readManifest(data, err) {
		return b
	}
	m := b.Manifest
	for _, f := range m.Files {
		if got, ok := files[f.Name]; !ok || got != f.Size {
			b.Problem = fmt.Sprintf("%s is missing or has the wrong size", f.Name)
			return b
		}
	}
	b.Complete = true
	return b
}
