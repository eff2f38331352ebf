package run

import (
	"context"
	"sort"
	"sync"
)

// DefaultPoolSize bounds a pool nobody configured.
const DefaultPoolSize = 8

type pools struct {
	mu   sync.Mutex
	size func(string) int
	sems map[string]chan struct{}
}

func newPools(size func(string) int) *pools {
	return &pools{size: size, sems: map[string]chan struct{}{}}
}

func (p *pools) sem(name string) chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.sems[name]
	if !ok {
		n := DefaultPoolSize
		if p.size != nil && p.size(name) > 0 {
			n = p.size(name)
		}
		s = make(chan struct{}, n)
		p.sems[name] = s
	}
	return s
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
