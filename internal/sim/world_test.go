package sim

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

func startWorld(t *testing.T, o Options) *World {
	t.Helper()
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	w, err := Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func TestAdminEndpoints(t *testing.T) {
	w := startWorld(t, Options{Profile: simcore.Instant, Seed: 7})
	var st map[string]json.RawMessage
	getJSON(t, w.AdminURL()+"/state", &st)
	for _, k := range []string{"scaleway", "proxmox", "talos"} {
		if len(st[k]) == 0 {
			t.Errorf("/state has no %s", k)
		}
	}
	var nm struct {
		Entries []simcore.NetEntry
		CA      string
	}
	getJSON(t, w.AdminURL()+"/netmap", &nm)
	if len(nm.Entries) != 1 || nm.Entries[0].Address != FactoryAddress || !strings.Contains(nm.CA, "BEGIN CERTIFICATE") {
		t.Fatalf("netmap %+v", nm)
	}
	resp, err := http.Post(w.AdminURL()+"/faults", "text/plain", strings.NewReader("dark=DC3;proxmox.5xx=0.1"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST /faults: %v %v", resp, err)
	}
	resp.Body.Close()
	if w.Env.Reachable(simcore.Outside, simcore.At("DC3")) {
		t.Error("dark fault not applied at run time")
	}
	resp, _ = http.Post(w.AdminURL()+"/faults", "text/plain", strings.NewReader("dark"))
	if resp.StatusCode != 400 {
		t.Errorf("bad fault spec accepted: %s", resp.Status)
	}
	resp.Body.Close()
	env := w.EnvFile()
	for _, k := range []string{"SCW_API_URL=http://127.0.0.1:", "SCW_ACCESS_KEY=SCW", "SCW_SECRET_KEY=", "SCW_DEFAULT_PROJECT_ID=", "SCW_DEFAULT_ORGANIZATION_ID=", "SCW_DEFAULT_ZONE=", "SCW_DEFAULT_REGION=", "TRIPOD_SIM=http://127.0.0.1:"} {
		if !strings.Contains(env, k) {
			t.Errorf("env file lacks %s:\n%s", k, env)
		}
	}
}

func TestPreloadAndResume(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "preload.yaml")
	os.WriteFile(p, []byte(`servers:
  - {provider: dedibox, id: "104201", offer: CORE-10-M, datacenter: DC2, hostname: old-1, tags: [team=db]}
stock:
  - {offer: STORE-9-M, placement: DC3, stock: empty}
quota:
  servers: 4
`), 0o600)
	pre, err := LoadPreload(p)
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "world")
	os.MkdirAll(data, 0o700)
	w := startWorld(t, Options{Profile: simcore.Instant, Seed: 3, Preload: pre, DataDir: data})
	if n := len(w.Scaleway.State().Servers); n != 1 {
		t.Fatalf("preloaded servers: %d", n)
	}
	if err := w.Save(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	w2, resumed, err := Resume(Options{Profile: simcore.Realistic, Seed: 99, DataDir: data})
	if err != nil || !resumed {
		t.Fatalf("resume: %v %v", resumed, err)
	}
	defer w2.Close()
	if n := len(w2.Scaleway.State().Servers); n != 1 || w2.opts.Seed != 3 || w2.Scaleway.ServerQuotaNow() != 4 {
		t.Fatalf("resumed world: %d servers, seed %d, quota %d", n, w2.opts.Seed, w2.Scaleway.ServerQuotaNow())
	}
	if _, err := LoadPreload(filepath.Join(dir, "nope.yaml")); err == nil {
		t.Error("missing preload accepted")
	}
	os.WriteFile(p, []byte("servers:\n  - {provider: dedibox, colour: red}\n"), 0o600)
	if _, err := LoadPreload(p); err == nil || !strings.Contains(err.Error(), "colour") {
		t.Errorf("unknown preload field: %v", err)
	}
}

// TestListenersStayOnLoopback scans this process's listening sockets while
// a world runs: none may be bound outside 127.0.0.0/8.
func TestListenersStayOnLoopback(t *testing.T) {
	startWorld(t, Options{Profile: simcore.Instant})
	ours := socketInodes(t)
	n := 0
	for _, f := range []string{"/proc/self/net/tcp", "/proc/self/net/tcp6"} {
		for _, l := range listeners(t, f) {
			if !ours[l.inode] {
				continue
			}
			n++
			if !l.ip.IsLoopback() {
				t.Errorf("listening on %s (inode %s), outside loopback", l.ip, l.inode)
			}
		}
	}
	if n < 3 {
		t.Fatalf("found %d of our listeners; the scan is not seeing them", n)
	}
}

type listener struct {
	ip    net.IP
	inode string
}

func socketInodes(t *testing.T) map[string]bool {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc: cannot scan sockets here")
	}
	out := map[string]bool{}
	for _, e := range ents {
		l, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err == nil && strings.HasPrefix(l, "socket:[") {
			out[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	return out
}

func listeners(t *testing.T, path string) []listener {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []listener
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 10 || fs[3] != "0A" { // 0A = LISTEN
			continue
		}
		hexIP := strings.Split(fs[1], ":")[0]
		b, err := hex.DecodeString(hexIP)
		if err != nil {
			t.Fatalf("bad %s line: %q", path, sc.Text())
		}
		// /proc prints each 32-bit word in host (little-endian) order.
		for i := 0; i+4 <= len(b); i += 4 {
			b[i], b[i+1], b[i+2], b[i+3] = b[i+3], b[i+2], b[i+1], b[i]
		}
		out = append(out, listener{ip: net.IP(b), inode: fs[9]})
	}
	return out
}
