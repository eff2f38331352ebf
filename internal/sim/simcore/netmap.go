package simcore

import (
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"time"
)

// NetEntry maps one simulated address (host:port as the tool dials it) onto
// the loopback listener that serves it.
type NetEntry struct {
	Address   string `json:"address"`   // "10.20.0.11:50000", "198.51.100.7:8006", "k8s.lab.internal:6443"
	Loopback  string `json:"loopback"`  // "127.0.0.1:41234"
	Placement string `json:"placement"` // datacenter or zone it lives in ("" if none), for dark faults
	Service   string `json:"service"`   // "proxmox", "ssh", "talos", "kube", ...
}

// NetMap is the simulator's published address map. Every listener it opens is
// on 127.0.0.1.
type NetMap struct {
	mu      sync.Mutex
	entries map[string]*mapped
}

type mapped struct {
	entry NetEntry
	ln    net.Listener
}

// NewNetMap returns an empty map.
func NewNetMap() *NetMap { return &NetMap{entries: map[string]*mapped{}} }

// Listen opens a loopback listener for the simulated address and publishes
// the mapping. Connections accepted while the placement is dark are held open
// without an answer, the way an unreachable datacenter looks to a client.
// Listening twice on one address is an error: two simulated endpoints cannot
// share an address.
func (e *Env) Listen(address, placement, service string) (net.Listener, error) {
	n := e.Net
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.entries[address]; ok {
		return nil, fmt.Errorf("simulated address %s is already in use", address)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("failed to listen on loopback for %s: %w", address, err)
	}
	wl := &darkListener{Listener: ln, dark: func() bool { return e.Faults.IsDark(placement) }}
	n.entries[address] = &mapped{
		entry: NetEntry{Address: address, Loopback: ln.Addr().String(), Placement: placement, Service: service},
		ln:    wl,
	}
	return wl, nil
}

// Close closes the listener of address and removes its mapping.
func (n *NetMap) Close(address string) {
	n.mu.Lock()
	m := n.entries[address]
	delete(n.entries, address)
	n.mu.Unlock()
	if m != nil {
		m.ln.Close()
	}
}

// CloseAll closes every listener.
func (n *NetMap) CloseAll() {
	n.mu.Lock()
	all := n.entries
	n.entries = map[string]*mapped{}
	n.mu.Unlock()
	for _, m := range all {
		m.ln.Close()
	}
}

// Lookup returns the loopback address for a simulated address.
func (n *NetMap) Lookup(address string) (string, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	m, ok := n.entries[address]
	if !ok {
		return "", false
	}
	return m.entry.Loopback, true
}

// Entries returns the map, sorted by address.
func (n *NetMap) Entries() []NetEntry {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]NetEntry, 0, len(n.entries))
	for _, m := range n.entries {
		out = append(out, m.entry)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Address < out[j].Address })
	return out
}

// darkListener holds connections without answering while its placement is dark.
type darkListener struct {
	net.Listener
	dark func() bool
}

func (l *darkListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if !l.dark() {
			return c, nil
		}
		go holdUntilLight(c, l.dark)
	}
}

// holdUntilLight keeps a connection open and silent while dark, then drops it:
// a client sees a hang, then a reset, never an answer from a dark datacenter.
func holdUntilLight(c net.Conn, dark func() bool) {
	defer c.Close()
	deadline := time.Now().Add(30 * time.Minute)
	for dark() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
}

// SplitHostPort is net.SplitHostPort that tolerates a missing port.
func SplitHostPort(address string) (host, port string) {
	h, p, err := net.SplitHostPort(address)
	if err != nil {
		return strings.Trim(address, "[]"), ""
	}
	return h, p
}
