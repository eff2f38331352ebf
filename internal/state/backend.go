package state

import (
	"bytes"
	"path/filepath"
	"strings"
)

// Backend keeps a state directory somewhere other than this disk (a bucket:
// internal/state/s3state). The directory Open is given is then a working
// copy of it, and the backend is told every change before it is trusted:
// each journal record before the record returns (so an intent is durable
// remotely before the call it announces is sent) and the directory's other
// files before each record and when the directory closes.
type Backend interface {
	// AppendJournal stores one journal record, line being its encoding,
	// durably. An error fails the append: the call is not sent.
	AppendJournal(r Record, line []byte) error
	// Sync stores the files of the working copy dir that changed since the
	// last Sync.
	Sync(dir string) error
	// Close syncs one last time and releases the backend's lock.
	Close(dir string) error
}

// LocalDir is the folder of a state directory whose files belong to this
// machine only: tripod tunnel's client configs, which point at its local
// ports and hold admin keys in clear.
const LocalDir = "local"

// BackupsDir is where tripod backup writes its folders (drill.BackupsDir).
// A backup's etcd snapshot holds the cluster's Kubernetes Secrets in clear,
// and every backup kept there would be copied into each run's working copy:
// a remote state leaves them out, and tripod backup uploads them with --to.
const BackupsDir = "backups"

// LocalOnly says which files of a working copy a Backend leaves out: the
// flock file (a lock of this disk only), the journal (stored record by
// record), temp files of atomic writes, LocalDir and BackupsDir.
func LocalOnly(rel string) bool {
	rel = filepath.ToSlash(rel)
	base := rel[strings.LastIndex(rel, "/")+1:]
	return rel == "lock" || rel == "journal.jsonl" || strings.HasPrefix(rel, LocalDir+"/") ||
		strings.HasPrefix(rel, BackupsDir+"/") ||
		(strings.HasPrefix(base, ".") && strings.Contains(base, ".tmp-"))
}

// Secret says whether the file rel of a state directory holds secret
// material when Open is given secretFiles: everything under secrets/ but
// the recipients list, and the secret files and their sealed copies.
func Secret(rel string, secretFiles []string) bool {
	rel = filepath.ToSlash(rel)
	if strings.HasPrefix(rel, "secrets/") {
		return rel != "secrets/"+recipientsFile
	}
	rel = strings.TrimSuffix(rel, SealedSuffix)
	for _, pat := range secretFiles {
		if ok, _ := filepath.Match(filepath.ToSlash(pat), rel); ok {
			return true
		}
	}
	return false
}

// LooksSealed says whether b is an age file (armored, as this package seals),
// the only form in which a Backend may store a secret.
func LooksSealed(b []byte) bool {
	return isAgeArmor(b) || bytes.HasPrefix(b, []byte("age-encryption.org/v1\n"))
}
