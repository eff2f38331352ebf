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
	Loopback  string `json:"loopback"`  // "127.0.0.1:41234"; "" for a private entry the operator cannot reach
	Placement string `json:"placement"` // datacenter or zone it lives in ("" if none), for dark faults
	Service   string `json:"service"`   // "proxmox", "ssh", "talos", "kube", ...
	Side      Side   `json:"side"`      // public or private (SideOf)
}

// NetMap is the simulator's address map. Every socket listener it opens is
// on 127.0.0.1; with the operator on the public side, private entries have
// no socket at all, only an in-memory listener simulated hosts dial.
type NetMap struct {
	mu      sync.Mutex
	entries map[string]*mapped
}

type mapped struct {
	entry NetEntry
	ln    net.Listener
	mem   *memListener // non-nil when the entry has no loopback socket
}

// NewNetMap returns an empty map.
func NewNetMap() *NetMap { return &NetMap{entries: map[string]*mapped{}} }

// Listen opens a listener for the simulated address and maps it. A public
// entry, and every entry while the operator is on the private side, gets a
// loopback listener published in the operator's map (/netmap). A private
// entry while the operator is on the public side gets an in-memory listener
// that only simulated hosts reach (DialPrivate), as the real VLAN has no
// route from the internet. Connections accepted while the placement is dark
// are held open without an answer, the way an unreachable datacenter looks
// to a client. Listening twice on one address is an error: two simulated
// endpoints cannot share an address.
func (e *Env) Listen(address, placement, service string) (net.Listener, error) {
	n := e.Net
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.entries[address]; ok {
		return nil, fmt.Errorf("simulated address %s is already in use", address)
	}
	side := SideOf(address, service)
	var ln net.Listener
	loopback := ""
	if e.Reach(Outside, Spot{Side: side}) == ReachNoRoute {
		ln = newMemListener(address)
	} else {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("failed to listen on loopback for %s: %w", address, err)
		}
		ln, loopback = l, l.Addr().String()
	}
	wl := &darkListener{Listener: ln, dark: func() bool { return e.Reach(Outside, At(placement)) == ReachSilent }}
	n.entries[address] = &mapped{
		entry: NetEntry{Address: address, Loopback: loopback, Placement: placement, Service: service, Side: side},
		ln:    wl,
		mem:   asMem(ln),
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

// Lookup returns the loopback address for a simulated address, false when
// nothing listens there or when it has no loopback socket (a private entry
// with the operator on the public side).
func (n *NetMap) Lookup(address string) (string, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	m, ok := n.entries[address]
	if !ok || m.entry.Loopback == "" {
		return "", false
	}
	return m.entry.Loopback, true
}

// Entry returns the entry of a simulated address, whatever its side.
func (n *NetMap) Entry(address string) (NetEntry, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	m, ok := n.entries[address]
	if !ok {
		return NetEntry{}, false
	}
	return m.entry, true
}

// Entries returns what the operator can dial (the published /netmap), sorted
// by address: every entry with a loopback socket.
func (n *NetMap) Entries() []NetEntry {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]NetEntry, 0, len(n.entries))
	for _, m := range n.entries {
		if m.entry.Loopback == "" {
			continue
		}
		out = append(out, m.entry)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Address < out[j].Address })
	return out
}

// darkListener holds connections without answering while Reach says its
// placement is silent (a dark datacenter), whoever dials.
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
