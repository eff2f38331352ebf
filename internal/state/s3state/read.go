package s3state

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/tripod-dev/tripod/internal/netx"
	"github.com/tripod-dev/tripod/internal/state"
)

// ReadSecretFile reads the secret file rel (the kubeconfig, the
// talosconfig) of the remote state at raw without taking its lock, as the
// local one is read while up runs: one object, whole, opened with the age
// identity of the store's recipients. It returns where it read, as a URL;
// an absent file is an error for which errors.Is(err, fs.ErrNotExist)
// holds.
func ReadSecretFile(ctx context.Context, raw string, dial *netx.Dialer, rel string) ([]byte, string, error) {
	b, err := openBucket(ctx, raw, dial)
	if err != nil {
		return nil, "", err
	}
	where := b.loc.String() + "/" + filepath.ToSlash(rel) + state.SealedSuffix
	tmp, err := os.MkdirTemp("", "tripod-read-")
	if err != nil {
		return nil, where, err
	}
	defer os.RemoveAll(tmp)
	for _, f := range []string{"secrets/.age-recipients", filepath.ToSlash(rel) + state.SealedSuffix} {
		data, _, err := b.get(ctx, b.loc.Prefix+filesDir+f)
		if errors.Is(err, errNoObject) {
			return nil, where, fmt.Errorf("no %s in %s yet: %w", f, b.loc, fs.ErrNotExist)
		}
		if err != nil {
			return nil, where, err
		}
		p := filepath.Join(tmp, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return nil, where, err
		}
		if err := state.WriteFileAtomic(p, data, 0o600); err != nil {
			return nil, where, err
		}
	}
	data, _, err := state.ReadSecretFile(tmp, rel)
	return data, where, err
}
