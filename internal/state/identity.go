package state

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// idFile holds the state directory's identity.
const idFile = "state-id"

// idLen is the length of a state ID: 8 random bytes, in hex.
const idLen = 16

// loadOrCreateID returns the state directory's identity: a random ID made
// the first time the directory is opened and never changed after, so that
// what one state directory ordered can be told from what another one did.
// The caller holds the directory's lock: no other process creates it at the
// same time.
func loadOrCreateID(dir string) (string, error) {
	path := filepath.Join(dir, idFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		id := strings.TrimSpace(string(b))
		if !validID(id) {
			return "", fmt.Errorf("state directory %s: %s is not a state ID (%d hex digits); restore it from a backup, it names the servers this directory ordered", dir, path, idLen)
		}
		return id, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("failed to read %s: %w", path, err)
	}
	raw := make([]byte, idLen/2)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("failed to make a state ID: %w", err)
	}
	id := hex.EncodeToString(raw)
	if err := WriteFileAtomic(path, []byte(id+"\n"), 0o600); err != nil {
		return "", err
	}
	return id, nil
}

func validID(id string) bool {
	if len(id) != idLen {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil && strings.ToLower(id) == id
}
