package proxmox

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// cmdRados is the rados CLI's object write, `rados -p POOL put OBJ FILE`
// (FILE "-" is stdin), as a drill uses it to ask whether a pool takes
// writes. As librados does, a write goes to the object's placement group
// and waits until that PG is active: with fewer failure domains up than
// the pool's min_size (or while PGs peer after a change) it blocks, and
// only returns ETIMEDOUT when --rados-osd-op-timeout SECONDS is given. A
// PG that is active but undersized (size 3, one datacenter down, min_size
// 2) takes the write. Without monitor quorum the client cannot connect.
// The object's content is not kept.
func cmdRados(ctx context.Context, sh *shell, args []string, out, errw io.Writer) int {
	pool, obj, timeout, ok := radosPutArgs(args[1:])
	if !ok {
		return sh.unmodelled("rados "+strings.Join(args[1:], " "), errw, "rados: the simulator models only 'rados -p POOL put OBJ FILE'", 1)
	}
	var deadline <-chan time.Time
	if timeout > 0 {
		deadline = time.After(timeout)
	}
	for {
		status, done := sh.radosTry(pool, obj, errw)
		if done {
			return sh.record("rados put", true, status)
		}
		select {
		case <-ctx.Done():
			return sh.record("rados put", true, 1)
		case <-deadline:
			fmt.Fprintf(errw, "error putting %s/%s: (110) Connection timed out\n", pool, obj)
			return sh.record("rados put", true, 110)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// radosTry writes once if the pool's PGs are active; done is false while
// the write would still be waiting for them.
func (sh *shell) radosTry(pool, obj string, errw io.Writer) (status int, done bool) {
	done = true
	status = sh.withNode(func(n *node) int {
		db := n.db
		switch {
		case db.Ceph == nil:
			fmt.Fprintln(errw, "couldn't connect to cluster: (2) No such file or directory")
			return 1
		case !sh.c.monQuorum(db):
			// librados waits for a monitor up to its mount timeout (300 s).
			done = false
			return 0
		}
		p := db.Ceph.pool(pool)
		if p == nil {
			fmt.Fprintf(errw, "error opening pool %s: (2) No such file or directory\n", pool)
			return 1
		}
		domains, up := sh.c.placement(db, p)
		// pgChecks' states: only active PGs take writes.
		if domains == 0 || up < p.MinSize || !sh.c.env.Done(db.Ceph.LastChange, simcore.OpCephSettle, db.Ceph.FSID) {
			done = false
		}
		return 0
	})
	return status, done
}

// radosPutArgs reads `-p POOL [--rados-osd-op-timeout S] put OBJ FILE`.
func radosPutArgs(args []string) (pool, obj string, timeout time.Duration, ok bool) {
	var rest []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case (a == "-p" || a == "--pool") && i+1 < len(args):
			pool = args[i+1]
			i++
		case strings.HasPrefix(a, "--pool="):
			pool = strings.TrimPrefix(a, "--pool=")
		case a == "--rados-osd-op-timeout" && i+1 < len(args):
			s, err := strconv.ParseFloat(args[i+1], 64)
			if err != nil {
				return "", "", 0, false
			}
			timeout = time.Duration(s * float64(time.Second))
			i++
		default:
			rest = append(rest, a)
		}
	}
	if pool == "" || len(rest) != 3 || rest[0] != "put" {
		return "", "", 0, false
	}
	return pool, rest[1], timeout, true
}
