package stage

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/tripod-dev/tripod/internal/netx"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// stableAddresses gives tw's Env a dialer whose simulated addresses keep
// their loopback port when a simulated listener restarts, as a real address
// does. A Talos node's apid restarts on a new loopback port when it leaves
// maintenance, and netx.Dialer refreshes its map only for addresses it has
// never seen, so a dial to a restarted node would keep hitting the old
// port. Each simulated address gets a stable loopback proxy to wherever the
// simulator serves it now. (The fix belongs in netx or the simulator.)
func stableAddresses(t *testing.T, tw *testWorld) {
	t.Helper()
	s := &shim{t: t, net: tw.World.Env.Net, proxies: map[string]string{}}
	admin := httptest.NewServer(http.HandlerFunc(s.netmap))
	t.Cleanup(admin.Close)
	d, err := netx.Simulated(admin.URL)
	if err != nil {
		t.Fatal(err)
	}
	tw.Env.Dialer = d
}

type shim struct {
	t       *testing.T
	net     *simcore.NetMap
	mu      sync.Mutex
	proxies map[string]string // simulated address -> stable loopback
}

func (s *shim) netmap(w http.ResponseWriter, _ *http.Request) {
	type entry struct {
		Address  string `json:"address"`
		Loopback string `json:"loopback"`
	}
	var out struct {
		Entries []entry `json:"entries"`
	}
	for _, e := range s.net.Entries() {
		out.Entries = append(out.Entries, entry{Address: e.Address, Loopback: s.proxy(e.Address)})
	}
	json.NewEncoder(w).Encode(out)
}

// proxy returns the stable loopback address for a simulated one.
func (s *shim) proxy(address string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.proxies[address]; ok {
		return p
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.forward(c, address)
		}
	}()
	s.proxies[address] = ln.Addr().String()
	return ln.Addr().String()
}

// forward joins c to the simulator's current listener for address; with
// none, c is closed, as a connection to a host that is down fails.
func (s *shim) forward(c net.Conn, address string) {
	defer c.Close()
	to, ok := s.net.Lookup(address)
	if !ok {
		return
	}
	up, err := net.Dial("tcp", to)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done
}
