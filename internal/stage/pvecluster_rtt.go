package stage

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/proxmox"
	"github.com/tripod-dev/tripod/internal/run"
)

// Corosync's limits: it wants round trips under 5 ms and falls apart
// beyond about 10 ms (token timeouts, retransmits, lost quorum).
const (
	rttWarn   = 5 * time.Millisecond
	rttRefuse = inventory.CorosyncRTTLimit
)

// rttResult is one measured pair.
type rttResult struct {
	from, to inventory.HostPlan
	target   string // the address pinged
	private  bool
	rtt      time.Duration
	err      error
}

var pingAvg = regexp.MustCompile(`rtt min/avg/max/mdev = [0-9.]+/([0-9.]+)/`)

// checkRTT pings between every pair of hosts over the command channel,
// on the private network where both ends have their private address up
// (corosync's path), else between public addresses; it warns above 5 ms and
// refuses above 10 ms, naming the pair.
func (e *Env) checkRTT(ctx context.Context, st *run.Step) error {
	hosts := e.Layout().Hosts
	up, err := e.privateUp(ctx, st, hosts)
	if err != nil {
		return err
	}
	var results []rttResult
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range hosts {
		wg.Add(1)
		go func() { // one source host at a time pings every later host
			defer wg.Done()
			for _, to := range hosts[i+1:] {
				r := e.ping(ctx, st, hosts[i], to, up[hosts[i].Name] && up[to.Name])
				mu.Lock()
				results = append(results, r)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return judgeRTT(st, results)
}

// privateUp says, per host, whether its private address is up.
func (e *Env) privateUp(ctx context.Context, st *run.Step, hosts []inventory.HostPlan) (map[string]bool, error) {
	out := map[string]bool{}
	for _, h := range hosts {
		c, err := e.node(st, h.Name).API()
		if err != nil {
			return nil, err
		}
		if out[h.Name], err = addressUp(ctx, c, h.Name, h.PrivateAddress); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (e *Env) ping(ctx context.Context, st *run.Step, from, to inventory.HostPlan, private bool) rttResult {
	r := rttResult{from: from, to: to, private: private, target: to.PrivateAddress.String()}
	if !private {
		ep, err := hostEndpoints{st.Facts()}.Endpoint(to.Name)
		if err != nil {
			r.err = err
			return r
		}
		r.target = ep.Address
	}
	out, err := e.node(st, from.Name).Observe(ctx, "ping -c 3 -q -n "+r.target)
	if err != nil {
		r.err = err
		return r
	}
	m := pingAvg.FindStringSubmatch(out)
	if m == nil {
		r.err = fmt.Errorf("no round-trip time in the output of ping on %s: %s", from.Name, proxmox.LastLines(out, 3))
		return r
	}
	ms, _ := strconv.ParseFloat(m[1], 64)
	r.rtt = time.Duration(ms * float64(time.Millisecond))
	return r
}

// judgeRTT turns the measurements into warnings, a refusal, or progress.
func judgeRTT(st *run.Step, results []rttResult) error {
	sort.Slice(results, func(i, j int) bool { return results[i].rtt > results[j].rtt })
	var refused []string
	for _, r := range results {
		switch {
		case r.err != nil:
			return fmt.Errorf("failed to measure the round-trip time from %s to %s (%s): %w", r.from.Name, r.to.Name, r.target, r.err)
		case r.rtt > rttRefuse:
			refused = append(refused, r.describe())
		case r.rtt > rttWarn:
			st.Warn("%s: corosync wants under %v; the cluster will form, but expect it to be sensitive to load", r.describe(), rttWarn)
		}
	}
	if len(refused) > 0 {
		return fmt.Errorf("refusing to form the Proxmox cluster: corosync fails beyond %v, and %s", rttRefuse, strings.Join(refused, "; "))
	}
	if len(results) > 0 {
		st.Progress("highest round-trip time: %s", results[0].describe())
	}
	return nil
}

func (r rttResult) describe() string {
	path := "the public network"
	if r.private {
		path = "the private network"
	}
	return fmt.Sprintf("the round-trip time between %s (%s) and %s (%s) is %.1f ms over %s (%s)",
		r.from.Name, r.from.Placement, r.to.Name, r.to.Placement, float64(r.rtt)/float64(time.Millisecond), path, r.target)
}
