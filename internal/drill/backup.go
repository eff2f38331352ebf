package drill

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/tripod-dev/tripod/internal/state"
)

// BackupsDir is where backups live in the state directory.
const BackupsDir = "backups"

// The files of a backup folder.
const (
	ManifestFile = "manifest.json"
	SnapshotFile = "etcd.snapshot"
	// SnapshotSumFile is the snapshot's sha256 in sha256sum's format, so
	// `sha256sum -c` checks it without tripod.
	SnapshotSumFile = SnapshotFile + ".sha256"
	InventoryFile   = "inventory.yaml"
)

// partialPrefix marks a folder being written: a backup killed before its
// rename stays one, and never reads as complete.
const partialPrefix = ".partial-"

// TimeFormat names a backup folder: its UTC time, sortable.
const TimeFormat = "20060102T150405Z"

// File is one file of a backup, as the manifest records it.
type File struct {
	Name   string `json:"name"` // relative to the backup folder, with / separators
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// Sealed: the file is age-encrypted to the state's recipients, as in
	// the state directory it was copied from.
	Sealed bool `json:"sealed,omitempty"`
}

// Manifest describes one backup; it is written last, so a backup with a
// manifest has every file it lists.
type Manifest struct {
	Format        int       `json:"format"`
	Cluster       string    `json:"cluster"`
	Created       time.Time `json:"created"`
	Node          string    `json:"node"`         // the control plane the snapshot came from
	NodeAddress   string    `json:"node_address"` // its private address
	EtcdRevision  int64     `json:"etcd_revision"`
	EtcdRaftIndex uint64    `json:"etcd_raft_index"`
	EtcdLeader    uint64    `json:"etcd_leader"`
	TripodVersion string    `json:"tripod_version"`
	Files         []File    `json:"files"`
}

// ManifestFormat is the manifest's format version.
const ManifestFormat = 1

// Size is the total size of the backup's files.
func (m *Manifest) Size() int64 {
	var n int64
	for _, f := range m.Files {
		n += f.Size
	}
	return n
}

// Writer writes one backup folder under root: files go into a partial
// folder, and Commit writes the manifest and renames the folder to its
// name.
type Writer struct {
	root, name, tmp string
	files           []File
}

// NewWriter starts the backup named by now's UTC time under root.
func NewWriter(root string, now time.Time) (*Writer, error) {
	name := now.UTC().Format(TimeFormat)
	if _, err := os.Stat(filepath.Join(root, name)); err == nil {
		return nil, fmt.Errorf("a backup named %s already exists in %s: wait a second and run again", name, root)
	}
	tmp := filepath.Join(root, partialPrefix+name)
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("failed to create %s: %w", tmp, err)
	}
	return &Writer{root: root, name: name, tmp: tmp}, nil
}

// Name is the backup's folder name.
func (w *Writer) Name() string { return w.name }

// Path is where rel is written before the rename.
func (w *Writer) Path(rel string) string { return filepath.Join(w.tmp, filepath.FromSlash(rel)) }

// Add writes rel (0600, atomically) and records it.
func (w *Writer) Add(rel string, data []byte, sealed bool) error {
	p := w.Path(rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("failed to create %s: %w", filepath.Dir(p), err)
	}
	if err := state.WriteFileAtomic(p, data, 0o600); err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	w.files = append(w.files, File{Name: rel, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), Sealed: sealed})
	return nil
}

// Record records rel, already written at Path(rel), with its size and sum.
func (w *Writer) Record(rel string, size int64, sha string) {
	w.files = append(w.files, File{Name: rel, Size: size, SHA256: sha})
}

// Commit fills m with the recorded files, writes it and renames the
// folder into place; it returns the backup's path.
func (w *Writer) Commit(m *Manifest) (string, error) {
	m.Format, m.Files = ManifestFormat, w.files
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", err
	}
	if err := state.WriteFileAtomic(w.Path(ManifestFile), append(b, '\n'), 0o600); err != nil {
		return "", err
	}
	dst := filepath.Join(w.root, w.name)
	if err := os.Rename(w.tmp, dst); err != nil {
		return "", fmt.Errorf("failed to move the backup into place: %w", err)
	}
	if d, err := os.Open(w.root); err == nil {
		d.Sync()
		d.Close()
	}
	return dst, nil
}

// Abort removes the partial folder.
func (w *Writer) Abort() { os.RemoveAll(w.tmp) }

// Backup is one backup as List found it.
type Backup struct {
	Name     string    `json:"name"`
	Created  time.Time `json:"created"`
	Size     int64     `json:"size"`
	Complete bool      `json:"complete"`
	// Problem says why it is not complete.
	Problem  string    `json:"problem,omitempty"`
	Manifest *Manifest `json:"manifest,omitempty"`
}

// List reads the backups under root, oldest first. A folder left partial,
// or whose files do not match its manifest, is listed as incomplete.
func List(root string) ([]Backup, error) {
	entries, err := os.ReadDir(root)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to list %s: %w", root, err)
	}
	var out []Backup
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		if strings.HasPrefix(name, partialPrefix) {
			b := Backup{Name: strings.TrimPrefix(name, partialPrefix), Problem: "partial: the backup was interrupted before its manifest was written"}
			b.Created, _ = time.Parse(TimeFormat, b.Name)
			out = append(out, b)
			continue
		}
		out = append(out, readLocal(filepath.Join(root, name), name))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// readManifest fills b from its manifest as read (data, or the read's
// error); false, with b.Problem said, when there is none to use.
func (b *Backup) readManifest(data []byte, err error) bool {
	if err != nil {
		b.Problem = "unreadable manifest: " + err.Error()
		return false
	}
	m := &Manifest{}
	if err := json.Unmarshal(data, m); err != nil {
		b.Problem = "unreadable manifest: " + err.Error()
		return false
	}
	b.Manifest, b.Created, b.Size = m, m.Created, m.Size()
	return true
}

func readLocal(dir, name string) Backup {
	b := Backup{Name: name}
	b.Created, _ = time.Parse(TimeFormat, name)
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		b.Problem = "no manifest"
		return b
	}
	if !b.readManifest(data, err) {
		return b
	}
	m := b.Manifest
	for _, f := range m.Files {
		if p := checkFile(filepath.Join(dir, filepath.FromSlash(f.Name)), f); p != "" {
			b.Problem = p
			return b
		}
	}
	b.Complete = true
	return b
}

// checkFile says what is wrong with the file at p against f, or "".
func checkFile(p string, f File) string {
	fh, err := os.Open(p)
	if err != nil {
		return f.Name + " is missing"
	}
	defer fh.Close()
	h := sha256.New()
	n, err := io.Copy(h, fh)
	switch {
	case err != nil:
		return f.Name + ": " + err.Error()
	case n != f.Size:
		return fmt.Sprintf("%s has %d bytes, the manifest says %d", f.Name, n, f.Size)
	case hex.EncodeToString(h.Sum(nil)) != f.SHA256:
		return f.Name + " does not match its checksum"
	}
	return ""
}
