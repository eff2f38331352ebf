package s3state

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"sync"
	"time"

	"github.com/tripod-dev/tripod/internal/netx"
)

// Holder is what the lock object says about the run holding it.
type Holder struct {
	// ID is the lock's own identity, what `tripod unlock --force` takes.
	ID      string    `json:"id"`
	Owner   string    `json:"owner"`
	Host    string    `json:"host"`
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
	// Expires is the lease: past it, with no renewal, the holder is taken
	// for dead and the lock may be taken over.
	Expires time.Time `json:"expires"`
	// Released marks a lock given up (the run ended, or tripod unlock):
	// free to take. A lock is never deleted: S3 has no delete conditional
	// on the object's version that every store offers, and a delete that
	// is not conditional could remove a lock another run took meanwhile.
	// Giving it up is a write over our very version (If-Match), like any
	// other change of the lock.
	Released bool `json:"released,omitempty"`
}

// free reports whether a found lock may be taken: given up, or its lease
// lapsed.
func (h Holder) free(now time.Time) bool { return h.Released || !now.Before(h.Expires) }

func (h Holder) String() string {
	return fmt.Sprintf("%q by %s (pid %d on %s, lock %s, since %s, lease until %s)",
		h.Command, h.Owner, h.PID, h.Host, h.ID, h.Since.Format(time.RFC3339), h.Expires.Format(time.RFC3339))
}

// LockedError says a live run holds the remote state's lock.
type LockedError struct {
	Location string
	Holder   Holder
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("%s is locked by %s; wait for it to finish, or, if it is gone and its lease cannot be waited for, run tripod unlock --force %s", e.Location, e.Holder, e.Holder.ID)
}

// ErrLockLost means this run's lock was taken (forced, or taken over after
// the lease lapsed): it writes nothing more.
var ErrLockLost = errors.New("this run no longer holds the state's lock")

// lock is a held lock object.
type lock struct {
	b      *bucket
	key    string
	lease  time.Duration
	mu     sync.Mutex
	holder Holder
	etag   string
	lost   error
	// TookOver is the holder whose lapsed lease this lock replaced.
	tookOver *Holder
	stop     chan struct{}
	done     chan struct{}
	// tick runs after each renewal (the store's Sync: files written
	// outside the state package, such as pins, reach the bucket within a
	// third of the lease).
	tick func()
}

func newHolder(command string, lease time.Duration) Holder {
	raw := make([]byte, 6)
	rand.Read(raw)
	host, _ := os.Hostname()
	owner := os.Getenv("GITLAB_USER_LOGIN")
	if u, err := user.Current(); owner == "" && err == nil {
		owner = u.Username
	}
	now := time.Now().UTC()
	return Holder{ID: hex.EncodeToString(raw), Owner: owner, Host: host, PID: os.Getpid(), Command: command, Since: now.Truncate(time.Second), Expires: now.Add(lease)}
}

// acquire takes the lock with a write that succeeds only where no lock
// object exists, or, past the found lock's lease, only over that very
// object (its ETag): of two runs racing for a lock, one write wins.
func acquire(ctx context.Context, b *bucket, key, command string, lease time.Duration) (*lock, error) {
	h := newHolder(command, lease)
	body, _ := json.Marshal(h)
	l := &lock{b: b, key: key, lease: lease, holder: h}
	for attempt := 0; attempt < 3; attempt++ {
		etag, err := b.put(ctx, key, body, condNone, "")
		if err == nil {
			l.etag = etag
			return l.start(), nil
		}
		if !isPrecondition(err) {
			return nil, b.explain("take the lock", err)
		}
		cur, curTag, err := l.read(ctx)
		if errors.Is(err, errNoObject) {
			continue // released meanwhile
		}
		if err != nil {
			return nil, err
		}
		if cur.ID == h.ID { // our write landed, its answer was lost
			l.etag = curTag
			return l.start(), nil
		}
		if !cur.free(time.Now()) {
			return nil, &LockedError{Location: b.loc.String(), Holder: cur}
		}
		etag, err = b.put(ctx, key, body, condMatch, curTag)
		if err == nil {
			l.etag = etag
			if !cur.Released {
				l.tookOver = &cur
			}
			return l.start(), nil
		}
		if !isPrecondition(err) {
			return nil, b.explain("take over the lock", err)
		}
		// Someone else changed it first; see who on the next turn.
	}
	cur, _, err := l.read(ctx)
	if err != nil {
		return nil, err
	}
	if cur.ID == h.ID {
		return nil, fmt.Errorf("failed to take the lock of %s: the bucket's answers disagree", b.loc)
	}
	return nil, &LockedError{Location: b.loc.String(), Holder: cur}
}

func (l *lock) read(ctx context.Context) (Holder, string, error) {
	data, etag, err := l.b.get(ctx, l.key)
	if err != nil {
		return Holder{}, "", err
	}
	var h Holder
	if err := json.Unmarshal(data, &h); err != nil {
		return Holder{}, "", fmt.Errorf("the lock object %s of %s is not a lock (%v): remove it with tripod unlock --force if no run holds it", l.key, l.b.loc, err)
	}
	return h, etag, nil
}

// start renews the lease in the background, a third of it at a time.
func (l *lock) start() *lock {
	l.stop, l.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(l.done)
		t := time.NewTicker(l.lease / 3)
		defer t.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-t.C:
				l.renew()
				l.mu.Lock()
				tick := l.tick
				l.mu.Unlock()
				if tick != nil {
					tick()
				}
			}
		}
	}()
	return l
}

// renew extends the lease over our own object only; a lock that changed
// under us was taken, and this run stops writing.
func (l *lock) renew() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.lease/3)
	defer cancel()
	h := l.holder
	h.Expires = time.Now().UTC().Add(l.lease)
	body, _ := json.Marshal(h)
	etag, err := l.b.put(ctx, l.key, body, condMatch, l.etag)
	if err == nil {
		l.holder, l.etag = h, etag
		return
	}
	if isPrecondition(err) {
		cur, curTag, rerr := l.read(ctx)
		if rerr == nil && cur.ID == h.ID && bytes.Equal(mustJSON(cur), body) {
			l.holder, l.etag = h, curTag // our renewal landed, its answer was lost
			return
		}
		who := "removed"
		if rerr == nil {
			who = "taken by " + cur.String()
		}
		l.lost = fmt.Errorf("%w: the lock of %s was %s", ErrLockLost, l.b.loc, who)
		return
	}
	if time.Now().After(l.holder.Expires) {
		l.lost = fmt.Errorf("%w: the lease of %s lapsed while the bucket could not be reached (%v)", ErrLockLost, l.b.loc, err)
	}
}

func mustJSON(h Holder) []byte { b, _ := json.Marshal(h); return b }

// check fails once the lock is lost, or its lease has run out unrenewed.
func (l *lock) check() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost == nil && time.Now().After(l.holder.Expires) {
		l.lost = fmt.Errorf("%w: its lease on %s ran out unrenewed", ErrLockLost, l.b.loc)
	}
	return l.lost
}

// release stops renewing and gives the lock up if it is still ours: a
// write over our own version only, so a lock taken meanwhile stays its new
// holder's.
func (l *lock) release(ctx context.Context) error {
	close(l.stop)
	<-l.done
	if l.check() != nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return giveUp(ctx, l.b, l.key, l.holder, l.etag)
}

// giveUp marks the lock h, at version etag, released. A lock that changed
// since is left as it is.
func giveUp(ctx context.Context, b *bucket, key string, h Holder, etag string) error {
	h.Released, h.Expires = true, time.Now().UTC()
	body, _ := json.Marshal(h)
	if _, err := b.put(ctx, key, body, condMatch, etag); err != nil && !isPrecondition(err) {
		return b.explain("release the lock", err)
	}
	return nil
}

var errNoObject = errors.New("no such object")

// ForceUnlock removes the lock of the remote state at raw if its ID is id,
// saying first, through say, what it removes.
func ForceUnlock(ctx context.Context, raw string, dial *netx.Dialer, id string, say func(string)) error {
	b, err := openBucket(ctx, raw, dial)
	if err != nil {
		return err
	}
	l := &lock{b: b, key: b.loc.Prefix + lockKey}
	cur, etag, err := l.read(ctx)
	if errors.Is(err, errNoObject) || err == nil && cur.Released {
		return fmt.Errorf("%s is not locked: nothing to unlock", b.loc)
	}
	if err != nil {
		return err
	}
	if cur.ID != id {
		return fmt.Errorf("the lock of %s is %s, not %s: nothing was removed (pass its ID to --force)", b.loc, cur, id)
	}
	say(fmt.Sprintf("removing the lock of %s held by %s; if that run is still alive, it stops writing at its next lease renewal (within a third of its lease), or sooner at a journal record another run wrote first", b.loc, cur))
	cur.Released, cur.Expires = true, time.Now().UTC()
	body, _ := json.Marshal(cur)
	if _, err := b.put(ctx, l.key, body, condMatch, etag); err != nil {
		if isPrecondition(err) {
			return fmt.Errorf("the lock of %s changed while it was being removed (its holder ended, or another run took it): nothing was removed; run tripod unlock again if it is still needed", b.loc)
		}
		return b.explain("remove the lock", err)
	}
	return nil
}
