package stage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tripod-dev/tripod/internal/retry"
	"github.com/tripod-dev/tripod/internal/run"
)

// isoRef is the Talos ISO the inventory asks for.
type isoRef struct {
	url  string // Image Factory URL
	file string // its file name on the nodes
	key  string // its cache name in the state directory
}

// talosISO is the Image Factory's nocloud ISO for the inventory's schematic
// and Talos version.
func (e *Env) talosISO() isoRef {
	t := e.Cluster().Talos
	short := t.Schematic
	if len(short) > 12 {
		short = short[:12]
	}
	return isoRef{
		url:  fmt.Sprintf("%s/image/%s/%s/nocloud-amd64.iso", t.ImageFactory, t.Schematic, t.Version),
		file: fmt.Sprintf("talos-%s-%s-nocloud-amd64.iso", t.Version, short),
		key:  fmt.Sprintf("%s-%s-nocloud-amd64.iso.sha256", t.Schematic, t.Version),
	}
}

// isoSum is an ISO's SHA-256 and size.
type isoSum struct {
	sha256 string
	size   int64
}

// isoChecksum is the ISO's checksum, from the state directory's cache or
// by fetching the ISO once (per run, whichever host asks first) and hashing
// it as it streams. A dry run does not fetch: ok is false then.
func (e *Env) isoChecksum(ctx context.Context, st *run.Step, iso isoRef) (isoSum, bool, error) {
	path := filepath.Join(e.State.Path, "images", iso.key)
	if s, err := readISOSum(path); err == nil {
		return s, true, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return isoSum{}, false, err
	}
	if st.DryRun() {
		return isoSum{}, false, nil
	}
	s, err := e.isoSums.get(iso.key, func() (isoSum, error) {
		st.Progress("fetching %s once to checksum it", iso.url)
		s, err := e.fetchISOSum(ctx, iso.url)
		if err != nil {
			return s, err
		}
		return s, e.State.WriteFile(filepath.Join("images", iso.key), []byte(fmt.Sprintf("%s %d\n", s.sha256, s.size)), 0o600)
	})
	return s, err == nil, err
}

func readISOSum(path string) (isoSum, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return isoSum{}, err
	}
	f := strings.Fields(string(b))
	if len(f) != 2 || len(f[0]) != 64 {
		return isoSum{}, fmt.Errorf("%s is damaged; delete it to fetch the checksum again", path)
	}
	size, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return isoSum{}, fmt.Errorf("%s is damaged; delete it to fetch the checksum again", path)
	}
	return isoSum{sha256: f[0], size: size}, nil
}

// fetchISOSum downloads url through the one dialer (system roots, or the
// simulator's CA in simulation) and hashes it.
func (e *Env) fetchISOSum(ctx context.Context, url string) (isoSum, error) {
	hc := e.Dialer.HTTPClient(nil, 0)
	var out isoSum
	err := retry.Do(ctx, retry.Policy{
		API: "factory", Attempts: 4, PerAttempt: e.Timing.Attempt(30 * time.Minute),
		Initial: e.Timing.Interval(2 * time.Second), Max: e.Timing.Interval(30 * time.Second), Counter: e.Retries,
		Classify: func(err error) retry.Decision {
			var st *httpStatusError
			if errors.As(err, &st) && (st.code == 429 || st.code >= 500) {
				return retry.Decision{Class: retry.Transient}
			}
			return retry.Default(err)
		},
	}, func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return &httpStatusError{url: url, code: resp.StatusCode}
		}
		h := sha256.New()
		n, err := io.Copy(h, resp.Body)
		if err != nil {
			return err
		}
		out = isoSum{sha256: hex.EncodeToString(h.Sum(nil)), size: n}
		return nil
	})
	if err != nil {
		return isoSum{}, fmt.Errorf("failed to fetch the Talos ISO to checksum it: %w", err)
	}
	return out, nil
}

type httpStatusError struct {
	url  string
	code int
}

func (e *httpStatusError) Error() string {
	return fmt.Sprintf("GET %s: %d %s", e.url, e.code, http.StatusText(e.code))
}
