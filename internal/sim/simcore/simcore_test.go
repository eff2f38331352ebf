package simcore

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseFaultsGrammar(t *testing.T) {
	s, err := ParseFaults("5xx=0.05; 429=0.02; proxmox.hang=0.01; hang-for=30s; install-fail=lab-pve-2; vm-start-fail=lab-cp-1; dark=DC3; rtt=DC2-DC5:12ms; talos.unavailable=0.05")
	if err != nil {
		t.Fatal(err)
	}
	if s.Global[Fault5xx] != 0.05 || s.Global[Fault429] != 0.02 || s.PerAPI[APIProxmox][FaultHang] != 0.01 || s.PerAPI[APITalos][FaultUnavailable] != 0.05 {
		t.Errorf("rates: %+v %+v", s.Global, s.PerAPI)
	}
	if s.HangFor != 30*time.Second || !s.OneShots["install-fail:lab-pve-2"] || !s.OneShots["vm-start-fail:lab-cp-1"] || !s.Dark["dc3"] {
		t.Errorf("spec: %+v", s)
	}
	if s.RTT["dc2-dc5"] != 12*time.Millisecond {
		t.Errorf("rtt: %v", s.RTT)
	}
	for _, bad := range []string{"5xx", "5xx=2", "nosuch=0.1", "mars.5xx=0.1", "rtt=DC2:1ms", "hang-for=-1s", "dark="} {
		if _, err := ParseFaults(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestFaultDecisionsAreSeededAndProportional(t *testing.T) {
	draw := func(seed int64) []FaultKind {
		f := NewFaults(seed)
		s, _ := ParseFaults("5xx=0.2;429=0.1")
		f.Set(s)
		var out []FaultKind
		for i := 0; i < 2000; i++ {
			out = append(out, f.Decide(APIScaleway, "GET /x", false).Kind)
		}
		return out
	}
	a, b, c := draw(1), draw(1), draw(2)
	if strings.Join(kinds(a), ",") != strings.Join(kinds(b), ",") {
		t.Fatal("same seed, different decisions")
	}
	if strings.Join(kinds(a), ",") == strings.Join(kinds(c), ",") {
		t.Fatal("different seeds, same decisions")
	}
	n5, n429 := 0, 0
	for _, k := range a {
		switch k {
		case Fault5xx:
			n5++
		case Fault429:
			n429++
		}
	}
	if n5 < 300 || n5 > 500 || n429 < 120 || n429 > 280 {
		t.Errorf("5xx %d/2000 (want ~400), 429 %d/2000 (want ~200)", n5, n429)
	}
	f := NewFaults(1)
	if f.Decide(APIScaleway, "GET /x", false).Kind != FaultNone {
		t.Error("no spec, but a fault")
	}
}

func kinds(ks []FaultKind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(rune('0' + k))
	}
	return out
}

func TestOneShotFiresOnce(t *testing.T) {
	f := NewFaults(1)
	s, _ := ParseFaults("install-fail=pve-2")
	f.Set(s)
	if f.TakeOneShot("install-fail", "pve-1") {
		t.Error("fired for the wrong host")
	}
	if !f.TakeOneShot("install-fail", "123", "pve-2") || f.TakeOneShot("install-fail", "pve-2") {
		t.Error("one-shot did not fire exactly once")
	}
}

func TestDelayIsDeterministicAndScaled(t *testing.T) {
	e := NewEnv(Realistic, 0.001, 42)
	d1, d2 := e.Delay(OpOSInstall, "pve-1"), e.Delay(OpOSInstall, "pve-1")
	if d1 != d2 {
		t.Fatal("same key, different delays")
	}
	base := Realistic.Durations[OpOSInstall]
	lo, hi := time.Duration(float64(base)*0.8*0.001), time.Duration(float64(base)*1.2*0.001)
	if d1 < lo || d1 > hi {
		t.Errorf("delay %v outside [%v, %v]", d1, lo, hi)
	}
	if NewEnv(Instant, 1, 1).Delay(OpOSInstall, "x") != 0 {
		t.Error("instant profile waits")
	}
	if e.RTT("DC2", "DC5") <= e.RTT("DC2", "DC2") || e.RTT("DC2", "AMS1") <= e.RTT("DC2", "DC5") {
		t.Error("RTT does not grow with distance")
	}
}

func TestRouterAnswers501ForUnmodelledRoutes(t *testing.T) {
	e := NewEnv(Instant, 1, 1)
	rt := NewRouter(e, APIProxmox, func(w http.ResponseWriter, r *http.Request, status int, msg string) {
		w.WriteHeader(status)
		io.WriteString(w, msg)
	})
	rt.Handle("GET /api2/json/version", false, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	srv := httptest.NewServer(rt)
	defer srv.Close()
	for path, want := range map[string]int{"/api2/json/version": 200, "/api2/json/nope": 501} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	if resp, err := http.Post(srv.URL+"/api2/json/nope", "text/plain", nil); err == nil {
		resp.Body.Close()
	}
	if resp, err := http.Get(srv.URL + "/api2/json/nope"); err == nil {
		resp.Body.Close()
	}
	st := e.Log.Snapshot()
	if len(st.Errors) != 3 || st.Errors[0].Kind != "unmodelled" || st.APIs[APIProxmox].Routes["GET /api2/json/version"].Total != 1 {
		t.Fatalf("log: %+v", st)
	}
	// /requests lists the 501s once per request, with how often each came.
	want := []UnmodelledRequest{{APIProxmox, "GET /api2/json/nope", 2}, {APIProxmox, "POST /api2/json/nope", 1}}
	if !slices.Equal(st.Unmodelled, want) {
		t.Fatalf("unmodelled = %+v, want %+v", st.Unmodelled, want)
	}
}

func TestListenIsLoopbackAndDarkHangs(t *testing.T) {
	e := NewEnv(Instant, 1, 1)
	ln, err := e.Listen("10.20.0.50:50000", "DC3", "talos")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Net.CloseAll()
	if !strings.HasPrefix(ln.Addr().String(), "127.0.0.1:") {
		t.Fatalf("listening on %s", ln.Addr())
	}
	if _, err := e.Listen("10.20.0.50:50000", "DC3", "talos"); err == nil {
		t.Fatal("two listeners on one simulated address")
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("x"))
			c.Close()
		}
	}()
	e.Faults.SetDark("DC3", true)
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, _ := c.Read(make([]byte, 1)); n != 0 {
		t.Fatal("a dark datacenter answered")
	}
	c.Close()
	e.Faults.SetDark("DC3", false)
	c, _ = net.Dial("tcp", ln.Addr().String())
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, _ := c.Read(make([]byte, 1)); n != 1 {
		t.Fatal("no answer once the datacenter is back")
	}
	c.Close()
}

// TestLostAnswersAreServedAndFaultsAreNotMutations: a "lost" request runs
// (and counts as mutating) though the client hears nothing; a request
// stopped by a fault changed nothing and is not counted as mutating.
func TestLostAnswersAreServedAndFaultsAreNotMutations(t *testing.T) {
	for _, tc := range []struct {
		spec       string
		served     bool
		mutating   int
		clientSees int
	}{{"5xx=1", false, 0, 503}, {"lost=1;hang-for=1m", true, 1, 0}} {
		e := NewEnv(Instant, 1, 1)
		s, _ := ParseFaults(tc.spec)
		e.Faults.Set(s)
		servedCh := make(chan struct{})
		rt := NewRouter(e, APIProxmox, func(w http.ResponseWriter, r *http.Request, status int, msg string) { w.WriteHeader(status) })
		rt.Handle("POST /create", true, func(w http.ResponseWriter, r *http.Request) { close(servedCh) })
		srv := httptest.NewServer(rt)
		// The client gives up only once the request was served (a lost
		// answer) or hears its answer (a fault), however loaded the
		// machine: no wall-clock race decides what the test sees.
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/create", nil)
		type answer struct {
			code int
			err  error
		}
		got := make(chan answer, 1)
		go func() {
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				got <- answer{err: err}
				return
			}
			resp.Body.Close()
			got <- answer{code: resp.StatusCode}
		}()
		var a answer
		served := false
		select {
		case <-servedCh:
			served = true
			cancel()
			a = <-got
		case a = <-got:
		case <-time.After(time.Minute):
			t.Fatalf("%s: neither served nor answered in a minute", tc.spec)
		}
		cancel()
		srv.Close()
		if served != tc.served || a.code != tc.clientSees {
			t.Errorf("%s: served %v, client saw %d (%v)", tc.spec, served, a.code, a.err)
		}
		if m := e.Log.Snapshot().Mutating; m != tc.mutating {
			t.Errorf("%s: %d mutating requests logged, want %d", tc.spec, m, tc.mutating)
		}
	}
}
