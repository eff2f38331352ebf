package s3state

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tripod-dev/tripod/internal/netx"
	"github.com/tripod-dev/tripod/internal/state"
)

// Pull copies the remote state at raw into the new directory to, under the
// state's lock: a consistent snapshot, its secrets still sealed. The bucket
// stays the state; the copy is for reading (tripod kubeconfig --state-dir)
// or a backup.
func Pull(ctx context.Context, raw string, dial *netx.Dialer, to, command string) error {
	if entries, err := os.ReadDir(to); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty: pull into a new directory", to)
	}
	b, err := openBucket(ctx, raw, dial)
	if err != nil {
		return err
	}
	l, err := acquire(ctx, b, b.loc.Prefix+lockKey, command, b.loc.Lease)
	if err != nil {
		return err
	}
	defer l.release(context.Background())
	if err := os.MkdirAll(to, 0o700); err != nil {
		return fmt.Errorf("failed to create %s: %w", to, err)
	}
	s := &store{b: b, lock: l, stored: map[string]storedFile{}}
	n, err := s.pull(ctx, to)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s holds no state: nothing was pulled", b.loc)
	}
	return l.check()
}

// Push copies the local state directory from into the remote state at raw,
// which must hold none, under both locks, sealing the local secrets store
// first if it is not (to opts.EncryptTo, else the identity's recipient).
// The local directory is left as it was otherwise; migrate retires it.
func Push(ctx context.Context, raw string, dial *netx.Dialer, from string, opts state.Options) error {
	if _, err := os.Stat(filepath.Join(from, "journal.jsonl")); err != nil {
		return fmt.Errorf("%s is not a state directory (no journal.jsonl): nothing to push", from)
	}
	b, err := openBucket(ctx, raw, dial)
	if err != nil {
		return err
	}
	if opts.EncryptTo == "" {
		if opts.EncryptTo, err = defaultRecipients(from, b.loc); err != nil {
			return err
		}
	}
	opts.MustExist = true
	d, err := state.Open(from, opts) // the local lock, and the store sealed
	if err != nil {
		return err
	}
	defer d.Close()
	l, err := acquire(ctx, b, b.loc.Prefix+lockKey, opts.Command, b.loc.Lease)
	if err != nil {
		return err
	}
	defer l.release(context.Background())
	for _, dir := range []string{filesDir, journalDir} {
		keys, err := b.list(ctx, b.loc.Prefix+dir)
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			return fmt.Errorf("%s holds a state already: push only into an empty prefix; nothing was changed", b.loc)
		}
	}
	s := &store{b: b, lock: l, secretFiles: opts.SecretFiles, stored: map[string]storedFile{}}
	for _, r := range d.Journal.Records() {
		line, _ := json.Marshal(r)
		if err := s.AppendJournal(r, line); err != nil {
			return err
		}
	}
	return s.Sync(from)
}

// Migrate pushes the local state directory from into raw and then renames
// it to from+".migrated", so no later command uses it by mistake.
func Migrate(ctx context.Context, raw string, dial *netx.Dialer, from string, opts state.Options) (string, error) {
	if err := Push(ctx, raw, dial, from, opts); err != nil {
		return "", err
	}
	to := from + ".migrated"
	if _, err := os.Stat(to); err == nil || !os.IsNotExist(err) {
		return "", fmt.Errorf("the state is in the bucket now, and %s exists: move %s aside yourself, it is no longer the state", to, from)
	}
	if err := os.Rename(from, to); err != nil {
		return "", fmt.Errorf("the state is in the bucket now; failed to rename %s: %w (move it aside yourself)", from, err)
	}
	return to, nil
}
