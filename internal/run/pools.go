package run

import (
	"context"
	"sort"
	"sync"
)

// DefaultPoolSize bounds a pool nobody configured.
const DefaultPoolSize = 8

type pools struct {
	mu    sync.Mutex
	sizes map[string]int
	sems  map[string]chan struct{}
}

func newPools(sizes map[string]int) *pools {
	return &pools{sizes: sizes, sems: map[string]chan struct{}{}}
}

func (p *pools) sem(name string) chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.sems[name]
	if !ok {
		n := DefaultPoolSize
		if v, ok := p.sizes[name]; ok && v > 0 {
			n = v
		} else if v, ok := p.sizes[prefixOf(name)]; ok && v > 0 {
			n = v // "proxmox-node:*" sizes every "proxmox-node:<name>"
		}
		s = make(chan struct{}, n)
		p.sems[name] = s
	}
	return s
}

func prefixOf(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == ':' {
			return name[:i+1] + "*"
		}
	}
	return name
}

func (p *pools) acquire(ctx context.Context, name string) (func(), error) {
	s := p.sem(name)
	select {
	case s <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-s }) }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// acquireAll takes several pools in a fixed order, so two steps holding
// overlapping sets cannot deadlock.
func (p *pools) acquireAll(ctx context.Context, names []string) (func(), error) {
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	var releases []func()
	release := func() {
		for i := len(releases) - 1; i >= 0; i-- {
			releases[i]()
		}
	}
	for _, n := range sorted {
		r, err := p.acquire(ctx, n)
		if err != nil {
			release()
			return nil, err
		}
		releases = append(releases, r)
	}
	return release, nil
}
